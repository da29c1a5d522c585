"""Golden fixtures for the Java ADM U-Net and classifier: small random networks, their inputs and
the outputs of tools/adm_reference.py computed in float64.

    python3 tools/make_adm_fixtures.py [--out java/src/test/resources/fixtures/adm]

Each fixture directory holds model.safetensors + config.json (as tools/convert_guided_diffusion.py
writes them), x.npy (float32), t.npy (int64), y.npy (int64, class labels when the network uses them),
out.npy (float32: the U-Net output or the classifier logits), grad.npy (classifiers: d/dx of
sum_i log_softmax(logits_i)[y_i]) and meta.json (what the fixture covers, how far the float32
reference is from the float64 one). Same seed, same torch: same bytes.
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adm_reference as ref  # noqa: E402
from convert_guided_diffusion import read_safetensors, write_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join("java", "src", "test", "resources", "fixtures", "adm")

# name -> (seed, batch, weight dtype, config, what it covers). Together: every flag of both networks.
# GroupNorm32 needs 32 channels at least, so even these networks have 0.2-0.7 M parameters; most are
# stored in float16 / bfloat16 (exact inputs to the float64 reference all the same) to stay small,
# which also covers the converter's three weight dtypes.
FIXTURES = {
    "unet_a": (1, 2, torch.float32, {
        "kind": "adm_unet", "image_size": 16, "num_channels": 32, "channel_mult": "1,1", "num_res_blocks": 1,
        "attention_resolutions": "8", "num_heads": 2, "num_head_channels": -1, "num_heads_upsample": -1,
        "class_cond": False, "learn_sigma": True, "use_scale_shift_norm": True, "resblock_updown": False,
        "conv_resample": True, "use_new_attention_order": False,
    }, "F32 weights; unconditional; learn_sigma (6 out channels); scale-shift norm; conv Downsample and "
       "Upsample; legacy attention with num_heads 2 at 8 px; num_res_blocks 1"),
    "unet_b": (2, 3, torch.float16, {
        "kind": "adm_unet", "image_size": 16, "num_channels": 32, "channel_mult": "1,1,2", "num_res_blocks": 1,
        "attention_resolutions": "8,4", "num_head_channels": 32, "class_cond": True, "num_classes": 10,
        "learn_sigma": False, "use_scale_shift_norm": False, "resblock_updown": True,
        "use_new_attention_order": True,
    }, "F16 weights; class-conditional (10 rows); additive embedding (no scale-shift); ResBlock up/down at "
       "two levels; new attention order with num_head_channels 32 at two resolutions (8 and 4 px); 3 out channels"),
    "unet_c": (3, 3, torch.float16, {
        "kind": "adm_unet", "image_size": 16, "num_channels": 32, "channel_mult": "1,1", "num_res_blocks": 2,
        "attention_resolutions": "16", "num_heads": 4, "num_heads_upsample": 1, "class_cond": True,
        "num_classes": 10, "null_class": True, "learn_sigma": True, "use_scale_shift_norm": True,
        "resblock_updown": False, "conv_resample": False, "use_new_attention_order": True,
    }, "F16 weights; CFG null class (label_emb has num_classes + 1 = 11 rows, y holds the null label 10); "
       "conv_resample off (2x2 average pool, bare nearest upsample); num_res_blocks 2; new attention order "
       "at full resolution (16 px, 256 tokens) with num_heads 4 going down and num_heads_upsample 1 going up"),
    "unet_d": (4, 2, torch.bfloat16, {
        "kind": "adm_unet", "image_size": 16, "num_channels": 32, "channel_mult": "2,1", "num_res_blocks": 1,
        "attention_resolutions": "16,8", "num_head_channels": 32, "num_heads_upsample": 3, "class_cond": True,
        "num_classes": 10, "learn_sigma": True, "use_scale_shift_norm": True, "resblock_updown": True,
        "use_new_attention_order": False, "dropout": 0.1,
    }, "BF16 weights; the released-checkpoint combination (class_cond, learn_sigma, scale-shift, ResBlock "
       "up/down) with legacy attention and num_head_channels 32, so num_heads_upsample 3 must be ignored; "
       "channel_mult 2,1: the first conv widens to 64 != num_channels, 1x1 skip convs going down and up, "
       "the final conv reads 64 channels; dropout 0.1 (no effect at inference)"),
    "classifier_a": (5, 2, torch.float32, {
        "kind": "adm_classifier", "image_size": 16, "classifier_width": 32, "classifier_channel_mult": "1,1",
        "classifier_depth": 2, "classifier_attention_resolutions": "16,8", "classifier_use_scale_shift_norm": True,
        "classifier_resblock_updown": True, "classifier_num_head_channels": 16, "num_classes": 10,
    }, "F32 weights; guided-diffusion's classifier defaults (scale-shift, ResBlock down, depth 2, attention "
       "pool) at small size: attention at 16 and 8 px and in the pool (8x8+1 tokens) with 2 heads of 16 "
       "channels; 10 logits"),
    "classifier_b": (6, 3, torch.float16, {
        "kind": "adm_classifier", "image_size": 16, "classifier_width": 32, "classifier_channel_mult": "1,2",
        "classifier_depth": 1, "classifier_attention_resolutions": "8", "classifier_use_scale_shift_norm": False,
        "classifier_resblock_updown": False, "conv_resample": True,
    }, "F16 weights; additive embedding, conv Downsample, depth 1, a 1x1 skip conv (32 -> 64), the default 64 "
       "channels per head (1 head in the block and in the pool over 8x8+1 tokens), the default 1000 logits"),
}


def randomize(net):
    """Make every layer matter: re-draw the zero-initialised convs (out_layers[3], proj_out, the U-Net's
    final conv) with PyTorch's default init, and give every GroupNorm a non-trivial affine map."""
    for m in net.modules():
        if isinstance(m, ref.ResBlock):
            m.out_layers[3].reset_parameters()
        elif isinstance(m, ref.AttentionBlock):
            m.proj_out.reset_parameters()
        elif isinstance(m, ref.GroupNorm32):
            with torch.no_grad():
                m.weight.copy_(1 + 0.1 * torch.randn_like(m.weight))
                m.bias.copy_(0.1 * torch.randn_like(m.bias))
    if isinstance(net, ref.UNetModel):
        net.out[2].reset_parameters()


def make_inputs(cfg, batch):
    size = cfg["image_size"]
    x = torch.randn(batch, 3, size, size)
    t = torch.randint(0, 1000, (batch,), dtype=torch.int64)
    y = None
    if cfg["kind"] == "adm_classifier" or cfg.get("class_cond"):
        y = torch.randint(0, cfg.get("num_classes", 1000), (batch,), dtype=torch.int64)
        if cfg.get("null_class"):
            y[-1] = cfg["num_classes"]  # the null label: the extra embedding row
    return x, t, y


def run(net, cfg, x, t, y):
    """-> dict of outputs in the network's dtype: out (and grad for classifiers)."""
    with torch.no_grad():
        if cfg["kind"] == "adm_unet":
            return {"out": net(x, t, y)}
    grad, logits = ref.classifier_grad(net, x, t, y)
    return {"out": logits, "grad": grad}


def rel_l2(a, b):
    return float(torch.linalg.vector_norm(a.double() - b) / torch.linalg.vector_norm(b))


def make(name, out_root):
    seed, batch, wdtype, flags, covers = FIXTURES[name]
    torch.manual_seed(seed)
    full = {"kind": flags["kind"], **(ref.model_config(flags) if flags["kind"] == "adm_unet"
                                       else ref.classifier_config(flags))}
    net = ref.create(full)
    randomize(net)
    x, t, y = make_inputs(full, batch)

    d = os.path.join(out_root, name)
    os.makedirs(d, exist_ok=True)
    weights = {k: v.detach().to(wdtype) for k, v in net.state_dict().items()}
    write_safetensors(os.path.join(d, "model.safetensors"), weights, {"format": "pt"})
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(full, f, indent=2)
        f.write("\n")

    # Evaluate from the file as written, so the fixture checks exactly what Java will load.
    sd, _ = read_safetensors(os.path.join(d, "model.safetensors"))
    outs = {}
    for dtype in (torch.float32, torch.float64):
        m = ref.create(full).to(dtype).eval()
        m.load_state_dict(sd, strict=True)
        outs[dtype] = run(m, full, x.to(dtype), t, y)

    np.save(os.path.join(d, "x.npy"), x.numpy())
    np.save(os.path.join(d, "t.npy"), t.numpy())
    if y is not None:
        np.save(os.path.join(d, "y.npy"), y.numpy())
    precision = {}
    for key, exact in outs[torch.float64].items():
        np.save(os.path.join(d, f"{key}.npy"), exact.float().numpy())
        approx = outs[torch.float32][key]
        precision[key] = {
            "rel_l2": rel_l2(approx, exact),
            "max_abs": float((approx.double() - exact).abs().max()),
            "rms": float(exact.pow(2).mean().sqrt()),
        }

    size = full["image_size"]
    meta = {
        "name": name,
        "kind": full["kind"],
        "covers": covers,
        "seed": seed,
        "batch": batch,
        "torch": torch.__version__,
        "weights_dtype": str(wdtype).replace("torch.", ""),
        "tensors": len(sd),
        "parameters": sum(v.numel() for v in sd.values()),
        "derived": {
            "channel_mult": list(ref.parse_channel_mult(
                full["channel_mult" if full["kind"] == "adm_unet" else "classifier_channel_mult"], size)),
            "attention_ds": list(ref.attention_ds(
                full["attention_resolutions" if full["kind"] == "adm_unet" else "classifier_attention_resolutions"],
                size)),
            "out_shape": list(outs[torch.float64]["out"].shape),
        },
        "fp32_vs_fp64": precision,
    }
    if "label_emb.weight" in sd:
        meta["derived"]["label_emb_rows"] = sd["label_emb.weight"].shape[0]
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return meta


def main():
    p = argparse.ArgumentParser(description="write the ADM golden fixtures")
    p.add_argument("--out", default=os.path.join(ROOT, DEFAULT_OUT))
    p.add_argument("--only", nargs="*", choices=list(FIXTURES), help="a subset (default: all)")
    args = p.parse_args()
    torch.set_num_threads(1)  # reductions in one fixed order: same bytes on every run
    for name in args.only or FIXTURES:
        meta = make(name, args.out)
        files = sorted(os.listdir(os.path.join(args.out, name)))
        kb = sum(os.path.getsize(os.path.join(args.out, name, f)) for f in files) / 1024
        prec = ", ".join(f"{k}: rel_l2 {v['rel_l2']:.2e} (rms {v['rms']:.3g})" for k, v in meta["fp32_vs_fp64"].items())
        print(f"{name}: {meta['parameters']} params, {kb:.0f} KiB; fp32 vs fp64 {prec}")


if __name__ == "__main__":
    main()
