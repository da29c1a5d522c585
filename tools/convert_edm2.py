"""Convert an EDM2 checkpoint (NVlabs/edm2) into a guidance4j model directory.

    PYTHONPATH=<edm2 checkout> python3 tools/convert_edm2.py network-snapshot-....pkl out_dir
    python3 tools/convert_edm2.py state_dict.pt out_dir [--config kwargs.json]

Input: an EDM2 network pickle (its 'ema' network is converted; unpickling needs EDM2's own
dnnlib and torch_utils, hence PYTHONPATH=<edm2 checkout>), or a plain state dict of EDM2's Precond
(keys 'unet.…', 'logvar_…'; a bare UNet state dict gets the 'unet.' prefix) saved with torch.save.

Output: out_dir/model.safetensors with the state dict, keys unchanged (F32 by default, or the stored
dtype with --dtype keep), and out_dir/config.json holding "kind": "edm2" plus every keyword argument
of EDM2's Precond / UNet / Block constructors under its own name (defaults filled in). A pickle
records those arguments; for a plain state dict give them with --config (a JSON object such as
{"img_resolution": 64, "img_channels": 4, "label_dim": 1000, "model_channels": 128}), else the
architecture is read off the tensor shapes and the rest (balances, clip_act, channels_per_head)
takes EDM2's defaults, which the converter says.

Checks: the converted state dict loads into tools/edm2_reference.py with strict=True, and the
reference's output equals the original network's on a random batch (pickle input).
"""

import argparse
import json
import math
import os
import pickle
import re
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import edm2_reference as ref  # noqa: E402
from convert_guided_diffusion import write_safetensors  # noqa: E402

def load_pickle(path):
    with open(path, "rb") as f:
        try:
            data = pickle.load(f)
        except ModuleNotFoundError as e:
            raise SystemExit(f"{path}: unpickling needs EDM2's code ({e}); run with PYTHONPATH=<edm2 checkout>")
    net = data["ema"] if isinstance(data, dict) and "ema" in data else data
    if not hasattr(net, "init_kwargs"):
        raise SystemExit(f"{path}: expected an EDM2 network pickle (a dict with 'ema')")
    kwargs = dict(net.init_kwargs)
    if net.init_args:
        raise SystemExit(f"{path}: the network was built with positional arguments; cannot name them")
    kwargs.pop("class_name", None)
    return net, {k: v for k, v in net.state_dict().items()}, kwargs


def load_state_dict(path):
    try:
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # torch without weights_only
        sd = torch.load(path, map_location="cpu")
    if not isinstance(sd, dict) or not all(torch.is_tensor(v) for v in sd.values()):
        raise SystemExit(f"{path}: expected a plain state dict (name -> tensor)")
    if not any(k.startswith("unet.") for k in sd):
        sd = {"unet." + k: v for k, v in sd.items()}
    return sd


def infer_config(sd):
    """The architecture from the tensor shapes; keywords the shapes do not fix keep EDM2's defaults."""
    def shape(k):
        return list(sd[k].shape)
    levels = {}  # resolution -> channels
    num_blocks = 0
    attn = set()
    for k in sd:
        m = re.match(r"unet\.enc\.(\d+)x\d+_(conv|down|block(\d+))\.", k)
        if not m:
            continue
        res = int(m.group(1))
        if m.group(2) == "conv":
            levels[res] = shape(k)[0]
            img_resolution = res
        elif m.group(3) is not None:
            num_blocks = max(num_blocks, int(m.group(3)) + 1)
            if k.endswith("conv_res1.weight"):
                levels[res] = shape(k)[0]
            if ".attn_qkv." in k:
                attn.add(res)
    cblock = [levels[r] for r in sorted(levels, reverse=True)]
    cnoise = shape("unet.emb_fourier.freqs")[0]
    cemb = shape("unet.emb_noise.weight")[0]
    mc = 0
    for c in cblock + [cnoise, cemb]:
        mc = math.gcd(mc, c)
    cfg = {
        "img_resolution": img_resolution,
        "img_channels": shape("unet.out_conv.weight")[0],
        "label_dim": shape("unet.emb_label.weight")[1] if "unet.emb_label.weight" in sd else 0,
        "model_channels": mc,
        "channel_mult": [c // mc for c in cblock],
        "channel_mult_noise": cnoise // mc,
        "channel_mult_emb": cemb // mc,
        "num_blocks": num_blocks,
        "attn_resolutions": sorted(attn, reverse=True),
    }
    if "logvar_linear.weight" in sd:
        cfg["logvar_channels"] = shape("logvar_linear.weight")[1]
    print("no constructor arguments given: read the architecture off the shapes; label_balance, concat_balance, "
          "res_balance, attn_balance, clip_act, channels_per_head and sigma_data take EDM2's defaults "
          "(pass --config if the network was trained otherwise)", file=sys.stderr)
    return cfg


def jsonable(v):
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return v


def convert(src, out_dir, config_path=None, dtype="float32", check=True):
    net = None
    if src.endswith(".pkl"):
        net, sd, kwargs = load_pickle(src)
    else:
        sd = load_state_dict(src)
        if config_path:
            with open(config_path) as f:
                kwargs = json.load(f)
        else:
            kwargs = infer_config(sd)
    cfg = ref.full_config(kwargs)
    cfg = {k: jsonable(v) for k, v in cfg.items()}
    if cfg["resample_filter"] != [1, 1]:
        print(f"warning: resample_filter {cfg['resample_filter']} is not [1, 1]; guidance4j only runs [1, 1]",
              file=sys.stderr)

    model = ref.create(cfg).eval()
    # every key and shape; only the training-time uncertainty head (logvar_*) may be absent
    missing, unexpected = model.load_state_dict(sd, strict=False)
    if unexpected or any(not k.startswith("logvar_") for k in missing):
        raise SystemExit(f"{src}: does not fit the config: missing {missing}, unexpected {unexpected}")
    if dtype == "float32":
        sd = {k: v.detach().float() for k, v in sd.items()}
    else:
        sd = {k: v.detach() for k, v in sd.items()}

    os.makedirs(out_dir, exist_ok=True)
    write_safetensors(os.path.join(out_dir, "model.safetensors"), sd, {"format": "pt", "source": "edm2"})
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")

    if check and net is not None:
        net = net.float().eval().cpu()
        torch.manual_seed(0)
        n, r = 2, cfg["img_resolution"]
        x = torch.randn(n, cfg["img_channels"], r, r)
        sigma = torch.tensor([0.5, 10.0])
        labels = ref.one_hot([0, cfg["label_dim"] - 1], cfg["label_dim"], torch.float32) if cfg["label_dim"] else None
        with torch.no_grad():
            want = net(x, sigma, labels)
            got = model(x, sigma, labels)
        err = float((want - got).norm() / want.norm())
        print(f"check: reference vs the pickled network, relative L2 {err:.2e}")
        if err > 1e-4:
            raise SystemExit("the converted model does not reproduce the original network")
    n_params = sum(v.numel() for k, v in sd.items() if not k.startswith("logvar_"))
    print(f"wrote {out_dir}: {len(sd)} tensors, {n_params} parameters in the denoiser")
    return cfg


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("src", help="EDM2 network pickle (.pkl) or a state dict (.pt)")
    p.add_argument("out_dir")
    p.add_argument("--config", help="JSON file of EDM2 constructor arguments (state dict input)")
    p.add_argument("--dtype", choices=["float32", "keep"], default="float32",
                   help="store F32 (default) or the checkpoint's own dtype")
    p.add_argument("--no-check", action="store_true", help="skip comparing with the pickled network")
    a = p.parse_args()
    convert(a.src, a.out_dir, a.config, a.dtype, not a.no_check)


if __name__ == "__main__":
    main()
