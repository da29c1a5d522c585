"""Train the Fashion-MNIST showcase models (grey 32x32, one channel), one model per process, on a GPU
when there is one (the shipped ones were trained on an H200; see models/README.md for the record).

    python3 tools/train_fashion_models.py --model main --out /tmp/fm            # the CFG U-Net
    python3 tools/train_fashion_models.py --model small --out /tmp/fm           # the autoguidance guide
    python3 tools/train_fashion_models.py --model classifier --out /tmp/fm      # noise-aware, for classifier guidance
    python3 tools/train_fashion_models.py --model features --out /tmp/fm        # clean classifier: the sweep's features
    python3 tools/train_fashion_models.py --model main --out /tmp/fm --smoke --device cpu   # pipeline check

Models (guided-diffusion networks from tools/adm_reference.py, `in_channels` 1):
  fashion-unet        class-conditional U-Net with a null class (label 10) for CFG; 64 channels at 32x32, 16x16
                      and 8x8, 2 ResBlocks per level, attention at 16x16 and 8x8, dropout 0.1
  fashion-unet-small  the autoguidance paper's "bad version": the same task, less capacity (one ResBlock per
                      level, two levels, attention at 16x16 only); EMA snapshots along its training give
                      guides that are degraded in capacity and in training time, the two degradations the
                      paper's ablation pairs
  fashion-classifier  noise-aware classifier (EncoderUNetModel, attention pool) for classifier guidance
  fashion-features    the same architecture trained on clean images only, with another seed: the quality
                      sweep's feature extractor, kept separate from the classifier that guides so that
                      classifier guidance is not judged by its own guide
EMA snapshots of the U-Nets (--snapshots) are written beside the final model as <name>@<step>/.

Training follows guided-diffusion's recipe: t uniform over 1000 cosine-schedule steps, MSE on eps, class
dropout to the null label, AdamW with linear warm-up, gradient clipping 1.0, an EMA of the U-Nets'
weights (what is shipped); cross-entropy on x_t (noise-aware) or x_0 (features) for the classifiers.
Left-right flips augment every model. --max-seconds caps the wall time: the record says how many steps ran.

Reproducibility: every random draw comes from generators seeded by --seed; the same GPU, driver and torch
version give the same result up to the nondeterminism of GPU kernels (atomics in some backward passes), so
a rerun gives a model of the same quality, not the same bytes. The exact record is in training.json.
"""

import argparse
import json
import math
import os
import platform
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adm_reference as ref  # noqa: E402
import fashion_data  # noqa: E402
from train_demo_models import (DIFFUSION_FLAGS, Ema, cosine_alphas_cumprod, lr_at, param_count,  # noqa: E402
                               save_grid_png, save_model)

UNET_FLAGS = {
    "kind": "adm_unet",
    "image_size": 32,
    "in_channels": 1,
    # 64, not 32, at full resolution: GroupNorm's 32 groups would hold one channel each (see
    # train_demo_models.py), which erases each feature's per-image mean.
    "num_channels": 64,
    "num_res_blocks": 2,
    "channel_mult": "1,1,1",
    "attention_resolutions": "16,8",
    "num_heads": 4,
    "num_head_channels": 32,
    "num_heads_upsample": -1,
    "use_scale_shift_norm": True,
    "resblock_updown": False,
    "use_new_attention_order": False,
    "dropout": 0.1,
    "class_cond": True,
    "num_classes": 10,
    "null_class": True,
    "conv_resample": True,
    "use_fp16": False,
    **DIFFUSION_FLAGS,
}

SMALL_UNET_FLAGS = {**UNET_FLAGS, "num_res_blocks": 1, "channel_mult": "1,1", "attention_resolutions": "16",
                    "dropout": 0.0}

CLASSIFIER_FLAGS = {
    "kind": "adm_classifier",
    "image_size": 32,
    "in_channels": 1,
    "classifier_width": 32,
    "classifier_depth": 2,
    "classifier_channel_mult": "1,2,2",
    "classifier_attention_resolutions": "8",
    "classifier_num_head_channels": 32,
    "classifier_use_scale_shift_norm": True,
    "classifier_resblock_updown": True,
    "classifier_pool": "attention",
    "classifier_use_fp16": False,
    "num_classes": 10,
    "conv_resample": True,
}

MODELS = {
    # name, flags, seed offset, kind of loss
    "main": ("fashion-unet", UNET_FLAGS, 0, "diffusion"),
    "small": ("fashion-unet-small", SMALL_UNET_FLAGS, 10, "diffusion"),
    "classifier": ("fashion-classifier", CLASSIFIER_FLAGS, 20, "noisy"),
    "features": ("fashion-features", CLASSIFIER_FLAGS, 30, "clean"),
}


def q_sample(x0, t, noise, abar_t):
    a = abar_t[t][:, None, None, None]
    return a.sqrt() * x0 + (1 - a).sqrt() * noise


def make_loss(kind, abar_t, p_uncond, null_label):
    def diffusion(model, x0, y, gen):
        n = len(x0)
        t = torch.randint(0, len(abar_t), (n,), generator=gen, device=x0.device)
        noise = torch.randn(x0.shape, generator=gen, device=x0.device)
        drop = torch.rand(n, generator=gen, device=x0.device) < p_uncond
        y = torch.where(drop, torch.full_like(y, null_label), y)
        return F.mse_loss(model(q_sample(x0, t, noise, abar_t), t, y), noise)

    def noisy(model, x0, y, gen):
        t = torch.randint(0, len(abar_t), (len(x0),), generator=gen, device=x0.device)
        noise = torch.randn(x0.shape, generator=gen, device=x0.device)
        return F.cross_entropy(model(q_sample(x0, t, noise, abar_t), t), y)

    def clean(model, x0, y, gen):
        return F.cross_entropy(model(x0, torch.zeros(len(x0), dtype=torch.long, device=x0.device)), y)

    return {"diffusion": diffusion, "noisy": noisy, "clean": clean}[kind]


@torch.no_grad()
def eps_mse(model, test, abar_t, seed, limit=5000):
    """Held-out eps MSE: conditional labels, one fixed (t, noise) draw per image."""
    dev = abar_t.device
    gen = torch.Generator(device=dev).manual_seed(seed)
    total, count = 0.0, 0
    for i in range(0, min(limit, len(test)), 500):
        x0, y = test.images[i:i + 500].to(dev), test.labels[i:i + 500].to(dev)
        t = torch.randint(0, len(abar_t), (len(x0),), generator=gen, device=dev)
        noise = torch.randn(x0.shape, generator=gen, device=dev)
        total += F.mse_loss(model(q_sample(x0, t, noise, abar_t), t, y), noise, reduction="sum").item()
        count += x0.numel()
    return total / count


@torch.no_grad()
def accuracy(model, test, abar_t, t_value, seed):
    """Held-out accuracy on x_t (t_value None: clean images with t = 0)."""
    dev = abar_t.device
    gen = torch.Generator(device=dev).manual_seed(seed)
    correct = 0
    for i in range(0, len(test), 1000):
        x0, y = test.images[i:i + 1000].to(dev), test.labels[i:i + 1000].to(dev)
        t = torch.full((len(x0),), t_value or 0, dtype=torch.long, device=dev)
        x = x0 if t_value is None else q_sample(x0, t, torch.randn(x0.shape, generator=gen, device=dev), abar_t)
        correct += (model(x, t).argmax(-1) == y).sum().item()
    return correct / len(test)


@torch.no_grad()
def preview(model, abar_t, guidance, steps, seed, cols=8):
    """10 classes x cols samples, DDIM (eta 0, x0 clipped) with CFG in one batch of 2B."""
    dev = abar_t.device
    gen = torch.Generator(device=dev).manual_seed(seed)
    labels = torch.arange(10, device=dev).repeat_interleave(cols)
    n = len(labels)
    x = torch.randn(n, 1, 32, 32, generator=gen, device=dev)
    stride = len(abar_t) // steps
    ts = list(range(0, len(abar_t), stride))
    y = torch.cat([labels, torch.full_like(labels, 10)])
    for i in reversed(range(len(ts))):
        a_t = abar_t[ts[i]]
        a_prev = abar_t[ts[i - 1]] if i > 0 else torch.ones((), dtype=abar_t.dtype, device=dev)
        t = torch.full((2 * n,), ts[i], dtype=torch.long, device=dev)
        eps_c, eps_u = model(torch.cat([x, x]), t, y).chunk(2)
        eps = eps_u + guidance * (eps_c - eps_u)
        x0 = ((x - (1 - a_t).sqrt() * eps) / a_t.sqrt()).clamp(-1, 1)
        eps = (x - a_t.sqrt() * x0) / (1 - a_t).sqrt()
        x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
    return x.cpu()


def environment(device):
    env = {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(),
           "machine": platform.machine(), "device": str(device)}
    if device.type == "cuda":
        env["gpu"] = torch.cuda.get_device_name(device)
        env["cuda"] = torch.version.cuda
    else:
        env["threads"] = torch.get_num_threads()
    return env


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, choices=sorted(MODELS))
    p.add_argument("--out", required=True)
    p.add_argument("--data", help="folder with the four Fashion-MNIST IDX files (default: Debian's)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--steps", type=int, default=8000)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=None, help="default 5e-4 (U-Nets), 1e-3 (classifiers)")
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--ema-decay", type=float, default=0.9995)
    p.add_argument("--p-uncond", type=float, default=0.1)
    p.add_argument("--snapshots", default="", help="comma-separated steps at which to save EMA snapshots")
    p.add_argument("--max-seconds", type=float, default=0, help="stop after this much training time (0: no cap)")
    p.add_argument("--log-every", type=int, default=250)
    p.add_argument("--amp", choices=["bf16", "off"], default=None,
                   help="autocast the forward and backward to bf16 (default: bf16 on CUDA, off on the CPU); "
                        "weights, optimizer and EMA stay float32")
    p.add_argument("--smoke", action="store_true",
                   help="20 steps of batch 8 on 2,000 images: a pipeline check, not a model")
    args = p.parse_args(argv)

    name, flags, seed_offset, kind = MODELS[args.model]
    dev = torch.device(args.device)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    lr = args.lr or (5e-4 if kind == "diffusion" else 1e-3)
    amp = (args.amp or ("bf16" if dev.type == "cuda" else "off")) == "bf16"
    steps, log_every = (20, 5) if args.smoke else (args.steps, args.log_every)
    if args.smoke:
        args.batch = 8
    snapshots = sorted({int(s) for s in args.snapshots.split(",") if s.strip()})
    seed = args.seed + seed_offset

    train_set, test_set = fashion_data.load(args.data)
    if args.smoke:
        train_set = fashion_data.Split(train_set.images[:2000], train_set.labels[:2000])
        test_set = fashion_data.Split(test_set.images[:100], test_set.labels[:100])
    images, labels = train_set.images.to(dev), train_set.labels.to(dev)
    abar_t = torch.from_numpy(cosine_alphas_cumprod(1000)).to(torch.float32).to(dev)

    torch.manual_seed(seed)  # network initialisation
    model = ref.create(flags).to(dev)
    print(f"[{name}] {param_count(model)} parameters, up to {steps} steps of batch {args.batch} on {dev}", flush=True)
    loss_fn = make_loss(kind, abar_t, args.p_uncond, flags.get("num_classes", 10))
    gen = torch.Generator(device=dev).manual_seed(seed + 1)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    ema = Ema(model, args.ema_decay) if kind == "diffusion" else None
    cosine = kind != "diffusion"

    def record(done, hist, seconds):
        rec = {"what": {"diffusion": "eps-prediction DDPM training, class dropout to the null label, EMA weights",
                        "noisy": "cross-entropy on x_t, t uniform over the 1000 cosine-schedule steps",
                        "clean": "cross-entropy on clean images (t = 0): the quality sweep's feature extractor"}[kind],
               "data": "Fashion-MNIST train split (60,000), 28x28 padded to 32x32 with -1, left-right flips",
               "steps": done, "steps_planned": steps, "batch": args.batch, "optimizer": "AdamW", "lr": lr,
               "lr_schedule": f"linear warm-up over {args.warmup} steps, then "
                              + ("cosine decay to 0" if cosine else "constant"),
               "grad_clip_norm": 1.0, "ema_decay": args.ema_decay if ema else None,
               "autocast": "bf16" if amp else "off",
               "p_uncond": args.p_uncond if kind == "diffusion" else None, "seed": seed,
               "wall_seconds": round(seconds, 1), "history": hist, "environment": environment(dev)}
        return rec

    def finish(out_dir, net, done, hist, seconds):
        net.eval()
        rec = record(done, hist, seconds)
        if kind == "diffusion":
            rec["heldout_eps_mse"] = eps_mse(net, test_set, abar_t, seed=99)
            print(f"[{name}] step {done}: held-out eps MSE {rec['heldout_eps_mse']:.4f}", flush=True)
        else:
            acc = {"clean": accuracy(net, test_set, abar_t, None, 0)}
            if kind == "noisy":
                for t in (250, 500, 750, 900):
                    acc[f"t={t}"] = accuracy(net, test_set, abar_t, t, 77)
            rec["heldout_accuracy"] = acc
            print(f"[{name}] held-out accuracy: " + ", ".join(f"{k} {v:.3f}" for k, v in acc.items()), flush=True)
        net_cpu = net.to("cpu")
        save_model(out_dir, net_cpu, flags, rec)
        net.to(dev)
        if kind == "diffusion":
            save_grid_png(os.path.join(out_dir, "preview.png"), preview(net, abar_t, 3.0, 2 if args.smoke else 25, seed=1000), 10, 8)

    def snapshot(step, hist, seconds):
        net = ref.create(flags).to(dev)
        net.load_state_dict(ema.shadow)
        finish(os.path.join(args.out, f"{name}@{step}"), net, step, hist, seconds)

    n = len(labels)
    history, window, t0 = [], [], time.time()
    perm, pos, done = torch.randperm(n, generator=gen, device=dev), 0, 0
    model.train()
    for step in range(steps):
        if args.max_seconds and time.time() - t0 > args.max_seconds:
            print(f"[{name}] stopped by --max-seconds after {step} steps", flush=True)
            break
        if pos + args.batch > n:
            perm, pos = torch.randperm(n, generator=gen, device=dev), 0
        idx = perm[pos:pos + args.batch]
        pos += args.batch
        x0 = fashion_data.random_flip(images[idx], gen)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, steps, lr, warmup=min(args.warmup, steps // 10), cosine=cosine)
        with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=amp):
            loss = loss_fn(model, x0, labels[idx], gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if ema:
            ema.update(model)
        done = step + 1
        window.append(loss.detach())
        if done % log_every == 0 or done == steps:
            mean = float(torch.stack(window).mean())
            history.append({"step": done, "loss": mean, "seconds": round(time.time() - t0, 1)})
            print(f"[{name}] step {done}/{steps} loss {mean:.4f} ({time.time() - t0:.0f} s)", flush=True)
            window = []
        if ema and done in snapshots and done < steps:
            snapshot(done, list(history), time.time() - t0)
    seconds = time.time() - t0
    if ema:
        model.load_state_dict(ema.shadow)
    finish(os.path.join(args.out, name), model, done, history, seconds)
    print(f"[{name}] done: {done} steps in {seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main()
