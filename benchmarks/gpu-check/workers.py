"""The GPU check's workers: child processes that time PyTorch and the C API (gpu_check.py)."""

import ctypes
import json
import math
import os
import statistics
import sys
import time

from common import ADM64_FLAGS, G4J_BF16, G4J_F32, TINY_FLAGS, rel_l2, write_atomic


def load_reference(args):
    tools = os.path.join(args.root, "tools")
    if not os.path.exists(os.path.join(tools, "adm_reference.py")) and args.repo:
        tools = os.path.join(args.repo, "tools")
    sys.path.insert(0, tools)
    import adm_reference  # noqa: E402
    from convert_guided_diffusion import write_safetensors  # noqa: E402
    return adm_reference, write_safetensors


def sync(dev):
    import torch
    if dev == "cuda":
        torch.cuda.synchronize()


def timed(fn, dev, warmup, repeats):
    """Median wall time in ms of fn() (the device waited for after each call)."""
    for _ in range(warmup):
        fn()
    sync(dev)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync(dev)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), times


def worker_torch_adm(args):
    """Builds the network with random weights, writes it for the Java side, times PyTorch eager."""
    import numpy as np
    import torch
    import torch.nn.functional as F
    ref, write_safetensors = load_reference(args)
    cuda = args.device == "cuda"
    dev = "cuda" if cuda else "cpu"
    flags = ADM64_FLAGS if cuda else TINY_FLAGS
    batches = [1, 16, 64] if cuda else [1, 2]
    warmup, repeats = (2, 5) if cuda else (1, 2)
    result = {"flags": flags, "torch": torch.__version__}

    def save():
        write_atomic(args.json, json.dumps(result, indent=1) + "\n")

    torch.manual_seed(0)
    net = ref.create_model(flags)
    with torch.no_grad():  # zero-initialised layers re-drawn, GroupNorm gains perturbed: every layer counts
        for m in net.modules():
            if isinstance(m, ref.ResBlock):
                m.out_layers[3].reset_parameters()
            elif isinstance(m, ref.AttentionBlock):
                m.proj_out.reset_parameters()
            elif isinstance(m, ref.GroupNorm32):
                m.weight.copy_(1 + 0.1 * torch.randn_like(m.weight))
                m.bias.copy_(0.1 * torch.randn_like(m.bias))
        net.out[2].reset_parameters()
    net.eval()
    os.makedirs(os.path.join(args.model_dir, "check"), exist_ok=True)
    write_safetensors(os.path.join(args.model_dir, "model.safetensors"), net.state_dict(), {"format": "pt"})
    with open(os.path.join(args.model_dir, "config.json"), "w") as f:
        json.dump({"kind": "adm_unet", **ref.model_config(flags)}, f, indent=2)
    result["parameters"] = sum(v.numel() for v in net.state_dict().values())
    net = net.to(dev)
    size = flags["image_size"]
    ncls = ref.model_config(flags)["num_classes"]

    def inputs(b, seed):
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(b, 3, size, size, generator=g)
        t = torch.full((b,), 500.0)
        y = torch.tensor([(37 * i + 11) % ncls for i in range(b)], dtype=torch.int64)
        return x.to(dev), t.to(dev), y.to(dev)

    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True

    # The check batch (4) in float32, and PyTorch's own half-precision errors on it: the yardstick
    # for ours ("bf16/f16 within 2x PyTorch's own error").
    x, t, y = inputs(4, 1)
    with torch.no_grad():
        out32 = net(x, t, y).float()
        errs = {}
        variants = {"bf16_autocast": None}
        if cuda:
            variants["fp16_autocast"] = None
        for name in variants:
            dt = torch.bfloat16 if name.startswith("bf16") else torch.float16
            with torch.autocast(device_type=dev, dtype=dt):
                o = net(x, t, y).float()
            errs[name] = rel_l2(o.cpu().numpy(), out32.cpu().numpy())
    for k, v in (("x", x), ("t", t), ("y", y), ("out", out32)):
        np.save(os.path.join(args.model_dir, "check", f"{k}.npy"), v.cpu().numpy().astype(
            np.int64 if k == "y" else np.float32))
    result["torch_half_rel_l2"] = errs
    save()

    # Layer shapes at B=16 (B=2 on the CPU): every conv, GroupNorm and attention call, counted.
    shape_batch = 16 if cuda else 2
    convs, norms, attns = {}, {}, {}

    def on_conv(m, inp, out):
        xin = inp[0]
        if xin.dim() == 3:  # Conv1d over tokens: a 1x1 conv2d over (T, 1)
            h, w = xin.shape[2], 1
        else:
            h, w = xin.shape[2], xin.shape[3]
        k = m.kernel_size[0]
        key = (m.in_channels, m.out_channels, k, m.stride[0], m.padding[0], h, w, xin.dim() - 2)
        convs[key] = convs.get(key, 0) + 1

    def on_norm(m, inp, out):
        xin = inp[0]
        key = (xin.shape[1], int(np.prod(xin.shape[2:])), m.num_groups)
        norms[key] = norms.get(key, 0) + 1

    def on_attn(m, inp, out):
        qkv = inp[0]
        key = (m.n_heads, qkv.shape[1] // (3 * m.n_heads), qkv.shape[2])
        attns[key] = attns.get(key, 0) + 1

    hooks = []
    for m in net.modules():
        if isinstance(m, (torch.nn.Conv1d, torch.nn.Conv2d)):
            hooks.append(m.register_forward_hook(on_conv))
        elif isinstance(m, ref.GroupNorm32):
            hooks.append(m.register_forward_hook(on_norm))
        elif isinstance(m, (ref.QKVAttention, ref.QKVAttentionLegacy)):
            hooks.append(m.register_forward_hook(on_attn))
    with torch.no_grad():
        net(*inputs(shape_batch, 2))
    for h in hooks:
        h.remove()
    result["shape_batch"] = shape_batch
    result["convs"] = [{"cin": k[0], "cout": k[1], "k": k[2], "stride": k[3], "pad": k[4], "h": k[5], "w": k[6],
                        "dims": k[7], "count": v} for k, v in convs.items()]
    result["norms"] = [{"channels": k[0], "spatial": k[1], "groups": k[2], "count": v} for k, v in norms.items()]
    result["attentions"] = [{"heads": k[0], "head_dim": k[1], "tokens": k[2], "count": v} for k, v in attns.items()]
    save()

    # Forward times: strict f32 (no TF32), bf16 autocast, and the whole model in bf16 / fp16.
    timings = {}
    result["forward_ms"] = timings
    for variant in ("f32", "bf16_autocast", "fp16_autocast", "bf16", "fp16"):
        if variant.startswith("fp16") and not cuda:
            timings[variant] = {"skipped": "no fp16 convolutions on the CPU"}
            continue
        half = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(variant)
        model = net
        if half is not None:  # a copy of the whole network in that dtype
            model = ref.create_model(flags)
            model.load_state_dict(net.state_dict())
            model = model.eval().to(dev, half)
        timings[variant] = {}
        for b in batches:
            x, t, y = inputs(b, 3)
            if half is not None:
                x = x.to(half)

            def fwd():
                with torch.no_grad():
                    if variant.endswith("_autocast"):
                        dt = torch.bfloat16 if variant.startswith("bf16") else torch.float16
                        with torch.autocast(device_type=dev, dtype=dt):
                            return model(x, t, y)
                    return model(x, t, y)
            try:
                med, times = timed(fwd, dev, warmup, repeats)
                timings[variant][str(b)] = {"median": med, "times": times}
            except Exception as e:  # noqa: BLE001
                timings[variant][str(b)] = {"error": f"{type(e).__name__}: {e}"}
            save()
        del model
    if args.compile and cuda:
        try:
            compiled = torch.compile(net)
            x, t, y = inputs(16, 3)

            def fwd_c():
                with torch.no_grad(), torch.autocast(device_type="cuda", dtype=torch.bfloat16):
                    return compiled(x, t, y)
            t0 = time.time()
            fwd_c()
            sync(dev)
            compile_s = time.time() - t0
            med, times = timed(fwd_c, dev, 2, 5)
            result["compile"] = {"batch": 16, "dtype": "bf16_autocast", "compile_s": compile_s, "median": med}
        except Exception as e:  # noqa: BLE001
            result["compile"] = {"error": f"{type(e).__name__}: {e}"}
        save()
    save()


class G4j:
    """The C API through ctypes (guidance4j.h): just what the op timings need."""

    def __init__(self, path, device):
        self.lib = lib = ctypes.CDLL(path)
        lib.g4j_last_error.restype = ctypes.c_char_p
        i64, vp, i32, f32 = ctypes.c_int64, ctypes.c_void_p, ctypes.c_int, ctypes.c_float
        lib.g4j_conv2d.argtypes = [vp, i32] + [i64] * 8 + [vp] * 5
        lib.g4j_attention.argtypes = [vp, i32, i64, i64, i64, i64, i32, f32, vp, vp]
        lib.g4j_group_norm.argtypes = [vp, i32, i64, i64, i64, i64, f32, vp, vp, vp, vp, vp, i64, i32, vp]
        lib.g4j_memcpy.argtypes = [vp, vp, vp, ctypes.c_size_t]
        lib.g4j_cuda_vendor_info.argtypes = [ctypes.POINTER(i32), ctypes.c_char_p, ctypes.c_size_t]
        lib.g4j_cuda_path_counts.argtypes = [ctypes.POINTER(i64)]
        self.stream = vp()
        self.ok(lib.g4j_stream_create(device, ctypes.byref(self.stream)), "g4j_stream_create")

    def ok(self, status, what):
        if status != 0:
            raise RuntimeError(f"{what}: status {status}: {self.lib.g4j_last_error().decode()}")

    def sync(self):
        self.ok(self.lib.g4j_stream_synchronize(self.stream), "g4j_stream_synchronize")

    def vendor(self, on):
        self.ok(self.lib.g4j_cuda_set_vendor(1 if on else 0), "g4j_cuda_set_vendor")

    def vendor_info(self):
        mask = ctypes.c_int(0)
        buf = ctypes.create_string_buffer(4096)
        self.ok(self.lib.g4j_cuda_vendor_info(ctypes.byref(mask), buf, 4096), "g4j_cuda_vendor_info")
        return mask.value, buf.value.decode()

    def counts(self):
        arr = (ctypes.c_int64 * 4)()
        self.ok(self.lib.g4j_cuda_path_counts(arr), "g4j_cuda_path_counts")
        return list(arr)


def timed_ours(g, fn, budget_s=0.15, max_iter=200):
    """Median-free throughput timing: calls back to back on our stream, one wait at the end (the
    host cost of each call is part of the figure, as it is in a forward)."""
    fn()
    g.sync()
    t0 = time.perf_counter()
    fn()
    g.sync()
    once = max(time.perf_counter() - t0, 1e-6)
    n = int(min(max_iter, max(3, budget_s / once)))
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    g.sync()
    return (time.perf_counter() - t0) * 1e3 / n


def timed_torch(fn, dev, budget_s=0.15, max_iter=200):
    fn()
    sync(dev)
    t0 = time.perf_counter()
    fn()
    sync(dev)
    once = max(time.perf_counter() - t0, 1e-6)
    n = int(min(max_iter, max(3, budget_s / once)))
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    sync(dev)
    return (time.perf_counter() - t0) * 1e3 / n


def worker_ops(args):
    import torch
    import torch.nn.functional as F
    cuda = args.device == "cuda"
    dev = "cuda" if cuda else "cpu"
    with open(args.shapes) as f:
        shapes = json.load(f)
    lib_path = os.path.join(args.root, "lib", "libguidance4j.so")
    result = {}

    def save():
        write_atomic(args.json, json.dumps(result, indent=1) + "\n")

    if cuda:
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.zeros(1, device="cuda")  # PyTorch's context first: ours shares the primary context
    g = G4j(lib_path, 0 if cuda else -1)
    mask, text = g.vendor_info()
    result["vendor_info"] = text
    result["vendor_mask"] = mask
    tdt, gdt = (torch.bfloat16, G4J_BF16) if cuda else (torch.float32, G4J_F32)
    result["dtype"] = "bf16" if cuda else "f32"
    b = shapes["shape_batch"]
    result["batch"] = b
    ptr = lambda t: ctypes.c_void_p(t.data_ptr()) if t is not None else None  # noqa: E731

    # -- every conv shape of the network: ours (vendor, hand-written) and PyTorch, with errors
    rows = []
    result["convs"] = rows
    for s in sorted(shapes["convs"], key=lambda s: -s["count"] * s["cin"] * s["cout"] * s["h"] * s["w"] * s["k"] ** 2):
        gen = torch.Generator(device="cpu").manual_seed(len(rows))
        x = torch.randn(b, s["cin"], s["h"], s["w"], generator=gen).to(dev, tdt)
        w = (torch.randn(s["cout"], s["cin"], s["k"], s["k"], generator=gen) / math.sqrt(s["cin"] * s["k"] ** 2)).to(dev, tdt)
        bias = torch.randn(s["cout"], generator=gen).to(dev, tdt)
        ho = (s["h"] + 2 * s["pad"] - s["k"]) // s["stride"] + 1
        wo = (s["w"] + 2 * s["pad"] - s["k"]) // s["stride"] + 1
        out = torch.empty(b, s["cout"], ho, wo, device=dev, dtype=tdt)
        want = F.conv2d(x.float(), w.float(), bias.float(), s["stride"], s["pad"])
        row = dict(s)

        def ours():
            g.ok(g.lib.g4j_conv2d(g.stream, gdt, b, s["cin"], s["h"], s["w"], s["cout"], s["k"], s["stride"], s["pad"],
                                  ptr(x), ptr(w), ptr(bias), None, ptr(out)), "g4j_conv2d")
        sync(dev)
        for name, on in (("vendor", True), ("hand", False)):
            if not cuda and name == "vendor":
                continue
            g.vendor(on)
            try:
                before = g.counts()
                row[f"{name}_us"] = timed_ours(g, ours) * 1e3
                after = g.counts()
                row[f"{name}_path"] = "vendor" if after[0] > before[0] else "hand-written"
                row[f"{name}_rel_l2"] = rel_l2(out.float().cpu().numpy(), want.cpu().numpy())
            except Exception as e:  # noqa: BLE001
                row[f"{name}_error"] = str(e)
        g.vendor(True)
        if s["dims"] == 1:
            x1, w1 = x.reshape(b, s["cin"], s["h"]), w.reshape(s["cout"], s["cin"], 1)
            row["torch_us"] = timed_torch(lambda: F.conv1d(x1, w1, bias), dev) * 1e3
        else:
            row["torch_us"] = timed_torch(lambda: F.conv2d(x, w, bias, s["stride"], s["pad"]), dev) * 1e3
        row["torch_rel_l2"] = rel_l2(F.conv2d(x, w, bias, s["stride"], s["pad"]).float().cpu().numpy(),
                                     want.cpu().numpy())
        rows.append(row)
        save()
        del x, w, bias, out, want

    # -- attention at the network's shapes against scaled_dot_product_attention
    arows = []
    result["attention"] = arows
    for s in shapes["attentions"]:
        h, d, t = s["heads"], s["head_dim"], s["tokens"]
        gen = torch.Generator(device="cpu").manual_seed(100 + len(arows))
        qkv = torch.randn(b, 3 * h * d, t, generator=gen).to(dev, tdt)
        out = torch.empty(b, h * d, t, device=dev, dtype=tdt)
        q, k, v = (z.reshape(b, h, d, t).transpose(2, 3).contiguous() for z in qkv.chunk(3, dim=1))
        row = dict(s)

        def ours_attn():
            g.ok(g.lib.g4j_attention(g.stream, gdt, b, h, d, t, 1, 1.0 / math.sqrt(d), ptr(qkv), ptr(out)),
                 "g4j_attention")
        sync(dev)
        row["ours_us"] = timed_ours(g, ours_attn) * 1e3
        if hasattr(F, "scaled_dot_product_attention"):
            sdpa = lambda: F.scaled_dot_product_attention(q, k, v)  # noqa: E731
            row["torch"] = "scaled_dot_product_attention"
        else:  # PyTorch < 2.0 (the CPU rehearsal): the same product written out
            sdpa = lambda: torch.softmax(q @ k.transpose(2, 3) / math.sqrt(d), dim=-1) @ v  # noqa: E731
            row["torch"] = "softmax(q k^T) v"
        row["torch_us"] = timed_torch(sdpa, dev) * 1e3
        ref_out = sdpa().float().transpose(2, 3).reshape(b, h * d, t)
        row["rel_l2_vs_torch"] = rel_l2(out.float().cpu().numpy(), ref_out.cpu().numpy())
        arows.append(row)
        save()

    # -- GroupNorm + SiLU at the network's shapes against F.group_norm + F.silu
    nrows = []
    result["group_norm_silu"] = nrows
    for s in shapes["norms"]:
        c_, sp, groups = s["channels"], s["spatial"], s["groups"]
        gen = torch.Generator(device="cpu").manual_seed(200 + len(nrows))
        x = torch.randn(b, c_, sp, generator=gen).to(dev, tdt)
        gamma = (1 + 0.1 * torch.randn(c_, generator=gen)).to(dev, tdt)
        beta = (0.1 * torch.randn(c_, generator=gen)).to(dev, tdt)
        out = torch.empty_like(x)
        row = dict(s)

        def ours_gn():
            g.ok(g.lib.g4j_group_norm(g.stream, gdt, b, c_, sp, groups, 1e-5, ptr(x), ptr(gamma), ptr(beta), None,
                                      None, c_, 1, ptr(out)), "g4j_group_norm")
        sync(dev)
        row["ours_us"] = timed_ours(g, ours_gn) * 1e3
        tgn = lambda: F.silu(F.group_norm(x, groups, gamma, beta, 1e-5))  # noqa: E731
        row["torch_us"] = timed_torch(tgn, dev) * 1e3
        row["bytes"] = 2 * x.numel() * x.element_size()
        row["ours_gb_s"] = row["bytes"] / (row["ours_us"] * 1e3)
        row["rel_l2_vs_torch"] = rel_l2(out.float().cpu().numpy(), tgn().float().cpu().numpy())
        nrows.append(row)
        save()

    # -- device copy rate: one large device-to-device copy, bytes read + written per second
    nbytes = (1 << 30) if cuda else (64 << 20)
    src = torch.empty(nbytes, dtype=torch.uint8, device=dev)
    dst = torch.empty_like(src)
    ours_ms = timed_ours(g, lambda: g.ok(g.lib.g4j_memcpy(g.stream, ptr(dst), ptr(src), nbytes), "g4j_memcpy"),
                         budget_s=0.3, max_iter=20)
    torch_ms = timed_torch(lambda: dst.copy_(src), dev, budget_s=0.3, max_iter=20)
    result["copy"] = {"bytes": nbytes, "ours_gb_s": 2 * nbytes / (ours_ms * 1e6),
                      "torch_gb_s": 2 * nbytes / (torch_ms * 1e6)}
    result["path_counts"] = dict(zip(["conv_cudnn", "conv_hand_written", "gemm_cublaslt", "gemm_hand_written"],
                                     g.counts()))
    save()


