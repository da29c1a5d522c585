"""PyTorch's side of the attention comparison, on a GPU machine with PyTorch (no JDK needed).

1. Times torch.nn.functional.scaled_dot_product_attention (bf16, PyTorch's default backend
   choice, replayed from a CUDA graph so Python's launch overhead is not counted) at the shapes
   native/tests/cuda/attention_bench.cu times, and prints us and TFLOP/s (4 B H T^2 D FLOPs).
2. With --dump DIR (written by `attention_bench --dump DIR`: qkv.bf16 and out.bf16 of its first
   shape, B=16 H=6 D=64 T=1024, new qkv order, scale 1/8): the relative L2 error against float64
   of guidance4j's output, of SDPA in bf16 on the same inputs, and of guided-diffusion's own
   attention arithmetic under bf16 autocast (einsum, softmax in float32, einsum), so the
   kernel's error can be read beside PyTorch's own.

Usage: python3 tools/attention_sdpa.py [--dump DIR]
"""
import argparse
import math

import numpy as np
import torch
import torch.nn.functional as F

SHAPES = [  # (batch, heads, head_dim, tokens, name): attention_bench.cu's
    (16, 6, 64, 1024, "ADM-64 @32x32"),
    (16, 9, 64, 256, "ADM-64 @16x16"),
    (16, 12, 64, 64, "ADM-64 @8x8"),
    (4, 4, 64, 4096, "4096 tokens"),
    (16, 8, 64, 65, "pool 8x8+1"),
    (16, 12, 32, 1024, "32-dim heads"),
    (16, 3, 128, 1024, "128-dim heads"),
]


def time_us(fn, reps=20, rounds=7):
    """Median microseconds per call, from a CUDA graph of `reps` calls replayed `rounds` times."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for _ in range(reps):
            fn()
    graph.replay()
    torch.cuda.synchronize()
    times = []
    for _ in range(rounds):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        graph.replay()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) * 1e3 / reps)
    return sorted(times)[len(times) // 2]


def bench():
    print("SDPA (torch %s, %s), bf16, median per call from CUDA graph replay" %
          (torch.__version__, torch.cuda.get_device_name()))
    print("%-16s %-22s %10s %9s" % ("shape", "B H D T", "us", "TFLOP/s"))
    for b, h, d, t, name in SHAPES:
        q, k, v = (torch.randn(b, h, t, d, device="cuda", dtype=torch.bfloat16) for _ in range(3))
        us = time_us(lambda: F.scaled_dot_product_attention(q, k, v))
        flops = 4.0 * b * h * t * t * d
        print("%-16s %-22s %10.2f %9.1f" % (name, "%d %d %d %d" % (b, h, d, t), us,
                                             flops / (us * 1e6)))


def bf16_file(path, shape):
    bits = np.fromfile(path, dtype=np.uint16).astype(np.uint32) << 16
    return torch.from_numpy(bits.view(np.float32).reshape(shape))


def rel_l2(x, ref):
    return (torch.linalg.norm((x.double() - ref).flatten()) /
            torch.linalg.norm(ref.flatten())).item()


def errors(dump):
    b, h, d, t, scale = 16, 6, 64, 1024, 0.125
    qkv = bf16_file(dump + "/qkv.bf16", (b, 3 * h * d, t)).cuda()
    ours = bf16_file(dump + "/out.bf16", (b, h * d, t)).cuda()
    # new qkv order: [q of all heads | k | v], each (B, H, D, T) channel-major
    q, k, v = (x.reshape(b, h, d, t) for x in qkv.chunk(3, dim=1))
    q64, k64, v64 = q.double(), k.double(), v.double()
    w = torch.softmax(scale * torch.einsum("bhct,bhcs->bhts", q64, k64), dim=-1)
    ref = torch.einsum("bhts,bhcs->bhct", w, v64).reshape(b, h * d, t)

    def tok(x):  # (B, H, D, T) -> (B, H, T, D), bf16
        return x.transpose(-1, -2).to(torch.bfloat16).contiguous()

    sdpa = F.scaled_dot_product_attention(tok(q), tok(k), tok(v), scale=scale)
    sdpa = sdpa.transpose(-1, -2).reshape(b, h * d, t)
    # guided-diffusion QKVAttention under bf16 autocast: einsum in bf16 (q, k each scaled by
    # scale^(1/2)), softmax in float32, cast back, einsum in bf16
    with torch.autocast("cuda", dtype=torch.bfloat16):
        s = math.sqrt(scale)
        wt = torch.einsum("bct,bcs->bts", (q * s).reshape(b * h, d, t),
                          (k * s).reshape(b * h, d, t))
        wt = torch.softmax(wt.float(), dim=-1).type(wt.dtype)
        eager = torch.einsum("bts,bcs->bct", wt, v.reshape(b * h, d, t)).reshape(b, h * d, t)
    print("relative L2 error against float64, B=16 H=6 D=64 T=1024, the same bf16 inputs:")
    print("  guidance4j (tensor-core kernel)       %.3e" % rel_l2(ours, ref))
    print("  PyTorch SDPA bf16                     %.3e" % rel_l2(sdpa, ref))
    print("  guided-diffusion eager, bf16 autocast %.3e" % rel_l2(eager, ref))
    print("  (bf16 unit roundoff u = 2^-8 = %.3e)" % 2 ** -8)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dump", help="folder with attention_bench's qkv.bf16 and out.bf16")
    args = parser.parse_args()
    bench()
    if args.dump:
        errors(args.dump)


if __name__ == "__main__":
    main()
