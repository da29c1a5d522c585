"""PyTorch CPU timing of guided-diffusion's ADM 64x64 conditional U-Net, the reference half of the
Java/PyTorch side-by-side (benchmarks/run.sh compare runs both halves).

    python3 tools/bench_torch_cpu.py --out /tmp/adm64-compare [--threads 2] [--batches 1,16] [--repeats 5]

Builds tools/adm_reference.py's create_model from guided-diffusion's released 64x64 MODEL_FLAGS
(below) with random weights, times forward passes (torch.no_grad, float32, torch.set_num_threads)
at each batch size, and writes into --out:

  model.safetensors, config.json  the same weights as a model directory the Java side loads
                                  (org.guidance4j.bench.ForwardTiming, or `./guidance4j forward`)
  check/{x,t,y,out}.npy           one batch-1 input and PyTorch's output, so the Java side first
                                  proves it runs the same network
  torch_timing.json               median and every timed forward per batch, FLOPs per image
                                  (counted by hooks), torch version, threads, CPU, load average

The zero-initialised layers of guided-diffusion (out_layers.3, proj_out, out.2) are re-drawn with
PyTorch's default init and GroupNorm gains perturbed, so every layer affects the checked output.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adm_reference as ref  # noqa: E402
from convert_guided_diffusion import write_safetensors  # noqa: E402

# guided-diffusion README, 64x64 model (conditional ImageNet).
MODEL_FLAGS = ("--attention_resolutions 32,16,8 --class_cond True --diffusion_steps 1000 --dropout 0.1 "
               "--image_size 64 --learn_sigma True --noise_schedule cosine --num_channels 192 "
               "--num_head_channels 64 --num_res_blocks 3 --resblock_updown True --use_new_attention_order True "
               "--use_fp16 False --use_scale_shift_norm True")


def parse_flags(text):
    """'--a 1 --b True --c x' -> {'a': 1, 'b': True, 'c': 'x'} with guided-diffusion's value types."""
    words = text.split()
    out = {}
    for key, value in zip(words[0::2], words[1::2]):
        if value in ("True", "False"):
            v = value == "True"
        else:
            try:
                v = int(value)
            except ValueError:
                try:
                    v = float(value)
                except ValueError:
                    v = value
        out[key.lstrip("-")] = v
    return out


def randomize(net):
    for m in net.modules():
        if isinstance(m, ref.ResBlock):
            m.out_layers[3].reset_parameters()
        elif isinstance(m, ref.AttentionBlock):
            m.proj_out.reset_parameters()
        elif isinstance(m, ref.GroupNorm32):
            with torch.no_grad():
                m.weight.copy_(1 + 0.1 * torch.randn_like(m.weight))
                m.bias.copy_(0.1 * torch.randn_like(m.bias))
    net.out[2].reset_parameters()


def count_flops(net, x, t, y):
    """2 x multiply-adds of the convolutions, linear layers and attention products of one forward
    (the same count as the Java benchmarks' AdmWalk; norms and elementwise ops left out)."""
    total = [0]

    def conv(m, inputs, out):
        k = int(np.prod(m.kernel_size))
        total[0] += 2 * out.numel() * (m.in_channels // m.groups) * k

    def linear(m, inputs, out):
        total[0] += 2 * out.numel() * m.in_features

    def attention(m, inputs, out):
        b, width, tokens = inputs[0].shape
        total[0] += 4 * b * tokens * tokens * (width // 3)

    hooks = []
    for m in net.modules():
        if isinstance(m, (torch.nn.Conv1d, torch.nn.Conv2d)):
            hooks.append(m.register_forward_hook(conv))
        elif isinstance(m, torch.nn.Linear):
            hooks.append(m.register_forward_hook(linear))
        elif isinstance(m, (ref.QKVAttention, ref.QKVAttentionLegacy)):
            hooks.append(m.register_forward_hook(attention))
    with torch.no_grad():
        net(x, t, y)
    for h in hooks:
        h.remove()
    return total[0] / x.shape[0]


def inputs(batch, size, generator):
    x = torch.randn(batch, 3, size, size, generator=generator)
    t = torch.full((batch,), 500.0)
    y = torch.tensor([(37 * i + 11) % 1000 for i in range(batch)], dtype=torch.int64)
    return x, t, y


def time_forward(net, batch, size, warmup, repeats, generator):
    x, t, y = inputs(batch, size, generator)
    times = []
    with torch.no_grad():
        for i in range(warmup + repeats):
            t0 = time.perf_counter()
            net(x, t, y)
            if i >= warmup:
                times.append((time.perf_counter() - t0) * 1e3)
    return times


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return f"{line.split(':', 1)[1].strip()} x {os.cpu_count()}"
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average():
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="model directory to write (weights, check data, timings)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batches", default="1,16")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    flags = parse_flags(MODEL_FLAGS)
    net = ref.create_model(flags)
    randomize(net)
    net.eval()  # dropout 0.1 is a training flag: inference has none
    size = flags["image_size"]

    os.makedirs(os.path.join(args.out, "check"), exist_ok=True)
    write_safetensors(os.path.join(args.out, "model.safetensors"), net.state_dict(), {"format": "pt"})
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump({"kind": "adm_unet", **ref.model_config(flags)}, f, indent=2)
        f.write("\n")

    g = torch.Generator().manual_seed(args.seed + 1)
    x, t, y = inputs(1, size, g)
    with torch.no_grad():
        out = net(x, t, y)
    check = os.path.join(args.out, "check")
    np.save(os.path.join(check, "x.npy"), x.numpy())
    np.save(os.path.join(check, "t.npy"), t.numpy().astype(np.float32))
    np.save(os.path.join(check, "y.npy"), y.numpy())
    np.save(os.path.join(check, "out.npy"), out.numpy())
    flops = count_flops(net, x, t, y)
    print(f"ADM-64: {sum(v.numel() for v in net.state_dict().values())} parameters, "
          f"{flops / 1e9:.1f} GFLOP per image; weights in {args.out}", file=sys.stderr)

    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
        "torch_version": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "cpu": cpu_model(),
        "precision": "F32",
        "flops_per_image": flops,
        "loadavg_before": load_average(),
        "batches": {},
    }
    for batch in (int(b) for b in args.batches.split(",")):
        times = time_forward(net, batch, size, args.warmup, args.repeats, g)
        result["batches"][str(batch)] = {"median_ms": statistics.median(times), "times_ms": times}
        print(f"torch batch {batch}: median {statistics.median(times):.1f} ms of {[round(v, 1) for v in times]}",
              file=sys.stderr)
    result["loadavg_after"] = load_average()
    with open(os.path.join(args.out, "torch_timing.json"), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
