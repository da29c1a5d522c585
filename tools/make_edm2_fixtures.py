"""Golden fixtures for the Java EDM2 denoiser: small random EDM2 networks, their inputs and the
denoiser output D(x; sigma, c) of tools/edm2_reference.py computed in float64.

    python3 tools/make_edm2_fixtures.py [--out java/src/test/resources/fixtures/edm2]

Each fixture directory holds model.safetensors + config.json (as tools/convert_edm2.py writes
them), x.npy (float32, EDM scaling: x = y + sigma n), sigma.npy (float32, one per sample),
y.npy (int64 class indices; absent for unconditional models, and for the fixture that runs a
conditional model without labels, which EDM2 treats as an all-zero class vector), out.npy
(float32: D from the float64 reference) and meta.json (what it covers, float32-vs-float64 error).
The weights are EDM2's own random init (every MPConv weight is N(0, 1)) with the zero-initialised
gains (emb_gain, out_gain) re-drawn, so every path changes the output. Same seed, same torch: same bytes.
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import edm2_reference as ref  # noqa: E402
from convert_guided_diffusion import read_safetensors, write_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join("java", "src", "test", "resources", "fixtures", "edm2")

# name -> (seed, batch, weight dtype, labels given, config, what it covers)
FIXTURES = {
    "cond_a": (11, 3, torch.float32, True, {
        "img_resolution": 8, "img_channels": 3, "label_dim": 5, "model_channels": 8, "channel_mult": [1, 2],
        "num_blocks": 1, "attn_resolutions": [4], "channels_per_head": 4, "logvar_channels": 8,
    }, "F32 weights; class-conditional (5 classes); two levels, one block each; attention with 4 heads of 4 "
       "channels at 4 px (encoder, decoder and the always-attending dec 4x4_in0); default balances and clip_act"),
    "uncond_b": (12, 2, torch.float16, False, {
        "img_resolution": 8, "img_channels": 4, "label_dim": 0, "model_channels": 4, "channel_mult": [1, 1, 2],
        "channel_mult_noise": 2, "channel_mult_emb": 3, "num_blocks": 2, "attn_resolutions": [8],
        "channels_per_head": 2, "clip_act": 1.5, "logvar_channels": 4,
    }, "F16 weights; unconditional, 4 image channels (a latent model's shape); three levels, two blocks each; "
       "explicit channel_mult_noise / channel_mult_emb; attention at full resolution (64 tokens, 2 heads of 2); "
       "clip_act 1.5 so the clamp cuts activations; levels of equal width (no conv_skip in enc blocks)"),
    "cond_c": (13, 3, torch.bfloat16, True, {
        "img_resolution": 16, "img_channels": 3, "label_dim": 7, "model_channels": 4, "channel_mult": [2, 1, 1],
        "num_blocks": 1, "attn_resolutions": [16, 4], "channels_per_head": 4, "label_balance": 0.3,
        "concat_balance": 0.7, "res_balance": 0.45, "attn_balance": 0.2, "clip_act": None,
    }, "BF16 weights; non-default label/concat/res/attn balances; clip_act None (no clamp); channel_mult 2,1,1 "
       "(narrowing: enc conv_skip absent, dec conv_skip everywhere); attention at 16 px (256 tokens) and 4 px; "
       "no logvar head in the checkpoint"),
    "cond_nolabel_d": (14, 2, torch.float32, False, {
        "img_resolution": 8, "img_channels": 3, "label_dim": 3, "model_channels": 8, "channel_mult": [1, 1],
        "num_blocks": 1, "attn_resolutions": [], "channels_per_head": 8,
    }, "F32 weights; a conditional model run without labels (EDM2's all-zero class vector); no attention "
       "except dec 4x4_in0 (8 channels, 1 head)"),
}


def randomize(net):
    with torch.no_grad():
        for name, p in net.named_parameters():
            if p.ndim == 0:  # emb_gain, out_gain: zero at init
                p.copy_(1.0 + 0.5 * torch.randn([]))


def rel_l2(a, b):
    return float(torch.linalg.vector_norm(a.double() - b) / torch.linalg.vector_norm(b))


def make(name, out_root):
    seed, batch, wdtype, with_labels, cfg, covers = FIXTURES[name]
    torch.manual_seed(seed)
    full = ref.full_config(cfg)
    net = ref.create(full)
    randomize(net)
    sd = {k: v.detach().to(wdtype) for k, v in net.state_dict().items()}
    if name == "cond_c":
        sd = {k: v for k, v in sd.items() if not k.startswith("logvar_")}

    r, c = full["img_resolution"], full["img_channels"]
    sigma = torch.exp(torch.empty(batch).uniform_(np.log(0.002), np.log(80.0))).float()
    sigma[0] = 0.002
    if batch > 2:
        sigma[-1] = 80.0
    x = (0.5 * torch.randn(batch, c, r, r) + sigma[:, None, None, None] * torch.randn(batch, c, r, r)).float()
    y = torch.randint(0, full["label_dim"], (batch,), dtype=torch.int64) if with_labels else None

    d = os.path.join(out_root, name)
    os.makedirs(d, exist_ok=True)
    write_safetensors(os.path.join(d, "model.safetensors"), sd, {"format": "pt", "source": "edm2"})
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(full, f, indent=2)
        f.write("\n")

    # Evaluate from the file as written, so the fixture checks exactly what Java will load.
    loaded, _ = read_safetensors(os.path.join(d, "model.safetensors"))
    outs = {}
    for dtype in (torch.float32, torch.float64):
        m = ref.create(full).to(dtype).eval()
        missing, unexpected = m.load_state_dict(loaded, strict=False)
        assert not unexpected and all(k.startswith("logvar_") for k in missing), (missing, unexpected)
        labels = None if y is None else ref.one_hot(y, full["label_dim"], dtype)
        with torch.no_grad():
            outs[dtype] = m(x.to(dtype), sigma.to(dtype), labels)

    np.save(os.path.join(d, "x.npy"), x.numpy())
    np.save(os.path.join(d, "sigma.npy"), sigma.numpy())
    if y is not None:
        np.save(os.path.join(d, "y.npy"), y.numpy())
    exact = outs[torch.float64]
    np.save(os.path.join(d, "out.npy"), exact.float().numpy())
    meta = {
        "name": name,
        "covers": covers,
        "seed": seed,
        "batch": batch,
        "torch": torch.__version__,
        "weights_dtype": str(wdtype).replace("torch.", ""),
        "tensors": len(loaded),
        "parameters": sum(v.numel() for v in loaded.values()),
        "sigma": [float(s) for s in sigma],
        "fp32_vs_fp64": {"rel_l2": rel_l2(outs[torch.float32], exact),
                         "max_abs": float((outs[torch.float32].double() - exact).abs().max()),
                         "rms": float(exact.pow(2).mean().sqrt())},
    }
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return meta


def main():
    p = argparse.ArgumentParser(description="write the EDM2 golden fixtures")
    p.add_argument("--out", default=os.path.join(ROOT, DEFAULT_OUT))
    p.add_argument("--only", nargs="*", choices=list(FIXTURES), help="a subset (default: all)")
    args = p.parse_args()
    torch.set_num_threads(1)  # reductions in one fixed order: same bytes on every run
    for name in args.only or FIXTURES:
        meta = make(name, args.out)
        files = sorted(os.listdir(os.path.join(args.out, name)))
        kb = sum(os.path.getsize(os.path.join(args.out, name, f)) for f in files) / 1024
        prec = meta["fp32_vs_fp64"]
        print(f"{name}: {meta['parameters']} params, {kb:.0f} KiB; fp32 vs fp64 rel_l2 {prec['rel_l2']:.2e} "
              f"(rms {prec['rms']:.3g})")


if __name__ == "__main__":
    main()
