"""Convert a guided-diffusion checkpoint (.pt state dict) to model.safetensors + config.json.

    python3 tools/convert_guided_diffusion.py 256x256_diffusion.pt out/adm256 $MODEL_FLAGS
    python3 tools/convert_guided_diffusion.py 256x256_classifier.pt out/cls256 $CLASSIFIER_FLAGS

Flags are guided-diffusion's own (paste MODEL_FLAGS / CLASSIFIER_FLAGS from its README); flags of the
other network and sampling flags (--classifier_scale, --model_path, ...) are ignored with a note.
--config JSON gives the same keys as a file; command-line flags override it.

Keys and dtypes (F32 / F16 / BF16) are kept as they are in the checkpoint. The state dict is first
loaded with strict=True into tools/adm_reference.py's network built from the config, so a config
that does not describe the checkpoint fails here instead of in Java.

The safetensors file is written without the `safetensors` package: 8-byte little-endian header
length, a JSON header padded with spaces to a multiple of 8, then the raw little-endian data.
Tensors are laid out by decreasing element size so each one starts aligned to its element size.
"""

import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adm_reference as ref  # noqa: E402

_ST_DTYPES = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}
_NP_OF_ST = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<i2", "I64": "<i8", "I32": "<i4",
    "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?",
}
_TORCH_OF_ST = {v: k for k, v in _ST_DTYPES.items()}


def _raw_bytes(t):
    t = t.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)  # numpy has no bfloat16; the bits are what we store
    a = t.numpy()
    return a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()


def write_safetensors(path, tensors, metadata=None):
    """tensors: name -> torch.Tensor (any device/layout). metadata: str -> str, optional."""
    names = sorted(tensors, key=lambda n: -tensors[n].element_size())  # stable: keeps given order per size
    header, offset = {}, 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name in names:
        t = tensors[name]
        if t.dtype not in _ST_DTYPES:
            raise ValueError(f"{name}: dtype {t.dtype} has no safetensors equivalent")
        nbytes = t.numel() * t.element_size()
        header[name] = {"dtype": _ST_DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for name in names:
            f.write(_raw_bytes(tensors[name]))


def read_safetensors(path):
    """-> (name -> torch.Tensor in header order, metadata dict)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    base, out = 8 + n, {}
    for name, h in header.items():
        lo, hi = h["data_offsets"]
        a = np.frombuffer(data[base + lo:base + hi], dtype=_NP_OF_ST[h["dtype"]]).reshape(h["shape"])
        t = torch.from_numpy(a.astype(a.dtype.newbyteorder("="), copy=True))
        if h["dtype"] == "BF16":
            t = t.view(torch.bfloat16)
        out[name] = t
    return out, meta


def load_checkpoint(path):
    try:
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # torch without weights_only
        sd = torch.load(path, map_location="cpu")
    if not isinstance(sd, dict) or not all(torch.is_tensor(v) for v in sd.values()):
        raise SystemExit(f"{path}: expected a plain state dict (name -> tensor), as guided-diffusion saves")
    return sd


def infer_kind(sd):
    if "out.2.positional_embedding" in sd:
        return "adm_classifier"
    if any(k.startswith("output_blocks.") for k in sd):
        return "adm_unet"
    raise SystemExit("cannot tell whether this is an ADM U-Net or classifier; pass --kind")


def _str2bool(v):
    if isinstance(v, bool):
        return v
    if v.lower() in ("yes", "true", "t", "y", "1"):
        return True
    if v.lower() in ("no", "false", "f", "n", "0"):
        return False
    raise argparse.ArgumentTypeError(f"boolean value expected, got {v!r}")


def _flag_parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    p.add_argument("checkpoint", help="guided-diffusion .pt state dict")
    p.add_argument("out_dir", help="directory to write model.safetensors and config.json into")
    p.add_argument("--kind", choices=["adm_unet", "adm_classifier"], help="default: inferred from the keys")
    p.add_argument("--config", help="JSON file of flags (same names as the command-line flags)")
    seen = {}
    for table in (ref.MODEL_DEFAULTS, ref.MODEL_EXTRAS, ref.CLASSIFIER_DEFAULTS, ref.CLASSIFIER_EXTRAS):
        seen.update(table)
    for k, v in seen.items():
        typ = _str2bool if isinstance(v, bool) else type(v)
        p.add_argument(f"--{k}", type=typ, default=None)
    return p, seen


def build_config(kind, given, sd):
    """The full config.json content for the checkpoint: defaults, then the given flags, then what
    the checkpoint alone can tell (the CFG null-class row)."""
    if kind == "adm_unet":
        own = set(ref.MODEL_DEFAULTS) | set(ref.MODEL_EXTRAS)
    else:
        own = set(ref.CLASSIFIER_DEFAULTS) | set(ref.CLASSIFIER_EXTRAS)
    ignored = sorted(k for k in given if k not in own)
    if ignored:
        print(f"note: flags of the other network ignored: {ignored}")
    flags = {k: v for k, v in given.items() if k in own}
    if kind == "adm_unet":
        cfg = ref.model_config(flags)
        emb = sd.get("label_emb.weight")
        if emb is not None and not cfg["class_cond"]:
            raise SystemExit("the checkpoint has label_emb.weight: pass --class_cond True")
        if emb is not None and "null_class" not in flags:
            rows = emb.shape[0]
            if rows == cfg["num_classes"] + 1:
                cfg["null_class"] = True
                print(f"note: label_emb has {rows} rows = num_classes + 1: null_class set (CFG null label {rows - 1})")
            elif rows != cfg["num_classes"]:
                raise SystemExit(f"label_emb has {rows} rows; pass --num_classes (and --null_class if one is the null row)")
    else:
        cfg = ref.classifier_config(flags)
    return {"kind": kind, **cfg}


def verify(cfg, sd):
    net = ref.create(cfg)
    try:
        net.load_state_dict(sd, strict=True)
    except RuntimeError as e:
        raise SystemExit(f"the config does not describe this checkpoint:\n{e}")
    return net


def main(argv=None):
    parser, _ = _flag_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        print(f"note: flags not about the network ignored: {' '.join(unknown)}")
    given, file_kind = {}, None
    if args.config:
        with open(args.config) as f:
            given.update(json.load(f))
        file_kind = given.pop("kind", None)
    reserved = {"checkpoint", "out_dir", "kind", "config"}
    given.update({k: v for k, v in vars(args).items() if k not in reserved and v is not None})

    sd = load_checkpoint(args.checkpoint)
    kind = args.kind or file_kind or infer_kind(sd)
    cfg = build_config(kind, given, sd)
    verify(cfg, sd)

    os.makedirs(args.out_dir, exist_ok=True)
    write_safetensors(os.path.join(args.out_dir, "model.safetensors"), sd, {"format": "pt"})
    with open(os.path.join(args.out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    dtypes = sorted({_ST_DTYPES[t.dtype] for t in sd.values()})
    print(f"{kind}: {len(sd)} tensors, {sum(t.numel() for t in sd.values())} parameters ({', '.join(dtypes)}) "
          f"-> {args.out_dir}")


if __name__ == "__main__":
    main()
