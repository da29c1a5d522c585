"""Train the shipped demo models on the 8x8 digits (as 16x16 RGB), on the CPU, reproducibly.

    python3 tools/train_demo_models.py --out models            # all three, the shipped defaults
    python3 tools/train_demo_models.py --out /tmp/m --smoke    # a few hundred steps, to test the pipeline
    python3 tools/train_demo_models.py --out models --only classifier --classifier-steps 4000

Writes, under --out:
  digits-unet/        the ADM U-Net: class-conditional with a CFG null class (label 10), eps prediction
  digits-unet-weak/   a smaller U-Net trained for 1/4 of the steps: the "bad version" for autoguidance
  digits-classifier/  a noise-aware ADM classifier (EncoderUNetModel, attention pool) for classifier guidance
  digits-split.json   the held-out test indices (see tools/digits_data.py)
  samples-pytorch-cfg.png  10 classes x 8 samples, DDIM + CFG with the PyTorch reference
Each model directory holds model.safetensors + config.json as tools/convert_guided_diffusion.py
writes them (F32, guided-diffusion's key names) and training.json (hyper-parameters, losses, times).

Training follows guided-diffusion's recipe at toy scale: t uniform over the 1000 steps of the cosine
schedule, MSE on eps for the U-Nets, cross-entropy on x_t for the classifier; AdamW; an EMA of the
U-Nets' weights, which is what is shipped. With class dropout p_uncond the label is replaced by the
null label num_classes, so one network gives both eps(x, c) and eps(x, null).

Reproducible: every model seeds its own torch generators from --seed, so the same torch build, thread
count and CPU give the same bytes, and each model is independent of which others are trained.
Other torch versions or CPUs give different bytes (different kernels and summation orders) but
models of the same quality.
"""

import argparse
import json
import math
import os
import platform
import sys
import time

# On a machine shared with other jobs, OpenMP threads that busy-wait for each other burn several
# times the useful CPU time (measured: 8 CPU-s instead of 1 per U-Net step with 2 threads). libgomp
# reads this when torch loads, so it must be set before the import.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adm_reference as ref  # noqa: E402
import digits_data  # noqa: E402
from convert_guided_diffusion import read_safetensors, write_safetensors  # noqa: E402

# Diffusion flags shared by all three models: they describe how the models were trained and how to
# sample from them, so they go into every config.json.
DIFFUSION_FLAGS = {
    "diffusion_steps": 1000,
    "noise_schedule": "cosine",
    "learn_sigma": False,
    "predict_xstart": False,
    "timestep_respacing": "",
    "use_kl": False,
    "rescale_timesteps": False,
    "rescale_learned_sigmas": False,
}

UNET_FLAGS = {
    "kind": "adm_unet",
    "image_size": 16,
    # 64, not 32: GroupNorm's 32 groups would hold one channel each at 32 channels, which erases
    # every feature's per-image mean; a 32-channel U-Net then cannot predict the per-image colour
    # offset of eps, and its samples of these grey digits come out tinted (measured: more than half
    # of its eps colour error was that offset, and it did not shrink with training).
    "num_channels": 64,
    "num_res_blocks": 2,
    "channel_mult": "1,1",  # 64 channels at 16x16 and at 8x8
    "attention_resolutions": "8",  # pixel sizes: attention at 8x8 (downsampling factor 2)
    "num_heads": 4,
    "num_head_channels": 32,
    "num_heads_upsample": -1,
    "use_scale_shift_norm": True,
    "resblock_updown": False,
    "use_new_attention_order": False,
    "dropout": 0.0,
    "class_cond": True,
    "num_classes": 10,
    "null_class": True,
    "conv_resample": True,
    "use_fp16": False,
    **DIFFUSION_FLAGS,
}

WEAK_UNET_FLAGS = {**UNET_FLAGS, "num_res_blocks": 1}

CLASSIFIER_FLAGS = {
    "kind": "adm_classifier",
    "image_size": 16,
    "classifier_width": 32,
    "classifier_depth": 2,
    "classifier_channel_mult": "1,2",
    "classifier_attention_resolutions": "8",
    "classifier_num_head_channels": 32,
    "classifier_use_scale_shift_norm": True,
    "classifier_resblock_updown": True,
    "classifier_pool": "attention",
    "classifier_use_fp16": False,
    "num_classes": 10,
    "conv_resample": True,
}


# ----------------------------------------------------------------------------------------------
# Noise schedule and sampler (the PyTorch side of what the Java library implements)


def cosine_alphas_cumprod(steps=1000, s=0.008, max_beta=0.999):
    """guided-diffusion's cosine schedule: beta_t = min(1 - f(t+1)/f(t), 0.999), f(t) = cos^2(((t/T)+s)/(1+s) pi/2);
    abar_t = prod_{i<=t} (1 - beta_i). float64 [T]."""
    f = lambda t: math.cos((t / steps + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    betas = np.array([min(1 - f(i + 1) / f(i), max_beta) for i in range(steps)], dtype=np.float64)
    return np.cumprod(1.0 - betas)


def q_sample(x0, t, noise, abar):
    a = torch.from_numpy(abar).to(x0.dtype)[t][:, None, None, None]
    return a.sqrt() * x0 + (1 - a).sqrt() * noise


def ddim_timesteps(num_steps, total=1000):
    """guided-diffusion's "ddimN" respacing: every (total // N)-th step starting at 0."""
    stride = total // num_steps
    return list(range(0, total, stride))


@torch.no_grad()
def ddim_sample_cfg(model, labels, guidance, num_steps, abar, generator, null_label):
    """DDIM (eta 0) with classifier-free guidance eps = eps(null) + guidance (eps(c) - eps(null)),
    both halves in one batch of 2B; x_0 clipped to [-1, 1] and eps recomputed from it, as
    guided-diffusion's ddim_sample does with clip_denoised."""
    n = len(labels)
    x = torch.randn(n, 3, model.image_size, model.image_size, generator=generator)
    ts = ddim_timesteps(num_steps, len(abar))
    y = torch.cat([labels, torch.full_like(labels, null_label)])
    for i in reversed(range(len(ts))):
        a_t = float(abar[ts[i]])
        a_prev = float(abar[ts[i - 1]]) if i > 0 else 1.0
        t = torch.full((2 * n,), ts[i], dtype=torch.long)
        eps_c, eps_u = model(torch.cat([x, x]), t, y).chunk(2)
        eps = eps_u + guidance * (eps_c - eps_u)
        x0 = ((x - math.sqrt(1 - a_t) * eps) / math.sqrt(a_t)).clamp(-1, 1)
        eps = (x - math.sqrt(a_t) * x0) / math.sqrt(1 - a_t)
        x = math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev) * eps
    return x


def save_grid_png(path, images, rows, cols, scale=2, pad=2):
    """images [rows*cols, 3, H, W] in [-1, 1] -> one PNG, each pixel drawn scale x scale, pad px gaps."""
    from PIL import Image

    _, _, h, w = images.shape
    x = ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    x = x.repeat_interleave(scale, 2).repeat_interleave(scale, 3)
    th, tw = h * scale, w * scale
    canvas = torch.full((3, rows * (th + pad) + pad, cols * (tw + pad) + pad), 255, dtype=torch.uint8)
    for r in range(rows):
        for c in range(cols):
            top, left = pad + r * (th + pad), pad + c * (tw + pad)
            canvas[:, top:top + th, left:left + tw] = x[r * cols + c]
    Image.fromarray(canvas.permute(1, 2, 0).numpy()).save(path, optimize=True)


# ----------------------------------------------------------------------------------------------
# Training


class Ema:
    """EMA of parameters with guided-diffusion-style decay, warmed up as min(decay, (1+n)/(10+n))
    so that a short run is not dominated by the random initialisation."""

    def __init__(self, model, decay):
        self.decay = decay
        self.n = 0
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model):
        self.n += 1
        d = min(self.decay, (1 + self.n) / (10 + self.n))
        for k, v in model.state_dict().items():
            if v.dtype.is_floating_point:
                self.shadow[k].mul_(d).add_(v.detach(), alpha=1 - d)
            else:
                self.shadow[k].copy_(v)


def warmup_steps(steps, fixed):
    """--warmup N, or by default min(200, steps // 10) (what the shipped models were trained with;
    a fixed N makes a snapshot at step k equal to a run of k steps)."""
    return fixed if fixed is not None else min(200, steps // 10)


def lr_at(step, steps, lr, warmup, cosine):
    if step < warmup:
        return lr * (step + 1) / warmup
    if not cosine:
        return lr
    p = (step - warmup) / max(1, steps - warmup)
    return lr * 0.5 * (1 + math.cos(math.pi * p))


def param_count(model):
    return sum(p.numel() for p in model.parameters())


def train(name, model, loss_fn, train_set, steps, batch, lr, seed, ema_decay, cosine_lr, log_every, shift,
          snapshot=None, snapshot_every=0, warmup=None):
    """Generic loop; loss_fn(model, x0, y, gen) -> scalar. Returns (model to ship, history dict).

    snapshot(step, EMA state dict, history so far) is called every snapshot_every steps. With a fixed
    warm-up (--warmup) and a constant learning rate a run is, up to step k, the same as a run of k
    steps: a snapshot stands for a shorter run."""
    gen = torch.Generator().manual_seed(seed + 1)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    ema = Ema(model, ema_decay) if ema_decay else None
    n = len(train_set)
    history, window, t0 = [], [], time.time()
    perm, pos = torch.randperm(n, generator=gen), 0
    model.train()
    for step in range(steps):
        if pos + batch > n:  # epochs without replacement; the tail of a permutation starts the next one
            perm, pos = torch.randperm(n, generator=gen), 0
        idx = perm[pos:pos + batch]
        pos += batch
        x0, y = train_set.images[idx], train_set.labels[idx]
        if shift:
            x0 = digits_data.random_shift(x0, gen, shift)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, steps, lr, warmup=warmup_steps(steps, warmup), cosine=cosine_lr)
        loss = loss_fn(model, x0, y, gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if ema:
            ema.update(model)
        window.append(loss.item())
        if (step + 1) % log_every == 0 or step + 1 == steps:
            mean = float(np.mean(window))
            history.append({"step": step + 1, "loss": mean, "seconds": round(time.time() - t0, 1)})
            print(f"[{name}] step {step + 1}/{steps} loss {mean:.4f} ({time.time() - t0:.0f} s)", flush=True)
            window = []
        if ema and snapshot and snapshot_every and (step + 1) % snapshot_every == 0 and step + 1 < steps:
            snapshot(step + 1, ema.shadow, {"history": list(history), "seconds": round(time.time() - t0, 1)})
    model.eval()
    if ema:
        model.load_state_dict(ema.shadow)
    return model, {"history": history, "seconds": round(time.time() - t0, 1)}


def diffusion_loss(abar, p_uncond, null_label):
    def fn(model, x0, y, gen):
        n = len(x0)
        t = torch.randint(0, len(abar), (n,), generator=gen)
        noise = torch.randn(x0.shape, generator=gen)
        drop = torch.rand(n, generator=gen) < p_uncond
        y = torch.where(drop, torch.full_like(y, null_label), y)
        return F.mse_loss(model(q_sample(x0, t, noise, abar), t, y), noise)
    return fn


def classifier_loss(abar):
    def fn(model, x0, y, gen):
        t = torch.randint(0, len(abar), (len(x0),), generator=gen)
        noise = torch.randn(x0.shape, generator=gen)
        return F.cross_entropy(model(q_sample(x0, t, noise, abar), t), y)
    return fn


@torch.no_grad()
def diffusion_test_loss(model, test_set, abar, seed, repeats=4):
    """Mean eps-MSE on the held-out set, conditional labels, fixed t and noise draws."""
    gen = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(repeats):
        for i in range(0, len(test_set), 256):
            x0, y = test_set.images[i:i + 256], test_set.labels[i:i + 256]
            t = torch.randint(0, len(abar), (len(x0),), generator=gen)
            noise = torch.randn(x0.shape, generator=gen)
            losses.append(F.mse_loss(model(q_sample(x0, t, noise, abar), t, y), noise, reduction="sum").item())
    return sum(losses) / (repeats * test_set.images.numel())


@torch.no_grad()
def classifier_accuracy(model, images, labels, abar, t_value, seed, repeats):
    """Accuracy on x_t for a fixed t; t_value None = the clean images fed with t = 0."""
    gen = torch.Generator().manual_seed(seed)
    correct, total = 0, 0
    for _ in range(repeats if t_value is not None else 1):
        for i in range(0, len(images), 256):
            x0, y = images[i:i + 256], labels[i:i + 256]
            t = torch.full((len(x0),), t_value or 0, dtype=torch.long)
            x = x0 if t_value is None else q_sample(x0, t, torch.randn(x0.shape, generator=gen), abar)
            correct += (model(x, t).argmax(-1) == y).sum().item()
            total += len(y)
    return correct / total


# ----------------------------------------------------------------------------------------------
# Output


def save_model(out_dir, model, flags, training):
    os.makedirs(out_dir, exist_ok=True)
    kind = flags["kind"]
    cfg = ref.model_config(flags) if kind == "adm_unet" else ref.classifier_config(flags)
    if kind == "adm_classifier":
        # classifier_config keeps only classifier flags; the classifier was trained on the same
        # noise process as the U-Nets, and a sampler reading this config alone must know it.
        cfg.update(DIFFUSION_FLAGS)
    cfg = {"kind": kind, **cfg}
    sd = {k: v.detach().to(torch.float32).contiguous() for k, v in model.state_dict().items()}
    path = os.path.join(out_dir, "model.safetensors")
    write_safetensors(path, sd, {"format": "pt"})
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    # Round trip: the shipped files must rebuild the same network.
    back, _ = read_safetensors(path)
    check = ref.create(cfg)
    check.load_state_dict(back, strict=True)
    training = {"parameters": param_count(model), "file_bytes": os.path.getsize(path), **training}
    with open(os.path.join(out_dir, "training.json"), "w") as f:
        json.dump(training, f, indent=2)
        f.write("\n")
    print(f"wrote {out_dir}: {training['parameters']} parameters, {training['file_bytes']} bytes", flush=True)


def environment():
    return {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(),
            "threads": torch.get_num_threads(), "machine": platform.machine()}


def load_model(out_dir):
    with open(os.path.join(out_dir, "config.json")) as f:
        cfg = json.load(f)
    net = ref.create(cfg)
    sd, _ = read_safetensors(os.path.join(out_dir, "model.safetensors"))
    net.load_state_dict(sd, strict=True)
    return net.eval(), cfg


def run_unet(args, name, flags, steps, seed_offset, train_set, test_set, abar):
    torch.manual_seed(args.seed + seed_offset)  # network initialisation
    model = ref.create(flags)
    print(f"[{name}] {param_count(model)} parameters, {steps} steps of batch {args.batch}", flush=True)

    def finish(out_dir, net, done_steps, hist):
        test_loss = diffusion_test_loss(net, test_set, abar, seed=args.seed + 99)
        print(f"[{name}] step {done_steps}: held-out eps MSE (EMA weights) {test_loss:.4f}", flush=True)
        training = {
            "what": "eps-prediction DDPM training, class dropout to the null label, EMA weights shipped",
            "steps": done_steps, "batch": args.batch, "optimizer": "AdamW", "lr": args.lr, "weight_decay": 0.0,
            "lr_schedule": f"linear warm-up over {warmup_steps(steps, args.warmup)} steps, then constant", "grad_clip_norm": 1.0,
            "ema_decay": args.ema_decay, "p_uncond": args.p_uncond, "null_label": flags["num_classes"],
            "augmentation": f"random shift of up to {args.shift} px (16x16 pixels), border filled with -1",
            "seed": args.seed + seed_offset, "final_train_loss": hist["history"][-1]["loss"],
            "heldout_eps_mse_ema": test_loss, "wall_seconds": hist["seconds"], **hist, "environment": environment(),
        }
        save_model(out_dir, net, flags, training)

    def snapshot(step, state, hist):
        """The EMA weights as if trained for `step` steps, and a 10 x 4 preview grid, under --snapshot-dir."""
        d = os.path.join(args.snapshot_dir, name, f"step-{step}")
        net = ref.create(flags)
        net.load_state_dict(state)
        net.eval()
        finish(d, net, step, hist)
        gen = torch.Generator().manual_seed(args.seed + 1000)
        labels = torch.arange(10).repeat_interleave(4)
        x = ddim_sample_cfg(net, labels, args.grid_guidance, 25, abar, gen, flags["num_classes"])
        save_grid_png(os.path.join(d, "preview.png"), x, 10, 4)

    model, hist = train(name, model, diffusion_loss(abar, args.p_uncond, flags["num_classes"]), train_set, steps,
                        args.batch, args.lr, args.seed + seed_offset, args.ema_decay, cosine_lr=False,
                        log_every=args.log_every, shift=args.shift,
                        snapshot=snapshot if args.snapshot_dir else None, snapshot_every=args.snapshot_every,
                        warmup=args.warmup)
    finish(os.path.join(args.out, name), model, steps, hist)


def run_classifier(args, train_set, test_set, abar):
    name = "digits-classifier"
    torch.manual_seed(args.seed + 20)
    model = ref.create(CLASSIFIER_FLAGS)
    steps = args.classifier_steps
    print(f"[{name}] {param_count(model)} parameters, {steps} steps of batch {args.batch}", flush=True)
    model, hist = train(name, model, classifier_loss(abar), train_set, steps, args.batch, args.classifier_lr,
                        args.seed + 20, ema_decay=0, cosine_lr=True, log_every=args.log_every, shift=args.shift,
                        warmup=args.warmup)
    acc = {"clean": classifier_accuracy(model, test_set.images, test_set.labels, abar, None, 0, 1)}
    for t in (0, 250, 500, 750, 900):
        acc[f"t={t}"] = classifier_accuracy(model, test_set.images, test_set.labels, abar, t, args.seed + 77, 8)
    print(f"[{name}] held-out accuracy: " + ", ".join(f"{k} {v:.3f}" for k, v in acc.items()), flush=True)
    training = {
        "what": "cross-entropy on x_t, t uniform over the 1000 cosine-schedule steps (guided-diffusion's classifier_train)",
        "steps": steps, "batch": args.batch, "optimizer": "AdamW", "lr": args.classifier_lr, "weight_decay": 0.0,
        "lr_schedule": f"linear warm-up over {warmup_steps(steps, args.warmup)} steps, then cosine decay to 0", "grad_clip_norm": 1.0,
        "ema_decay": None, "augmentation": f"random shift of up to {args.shift} px (16x16 pixels), border filled with -1",
        "seed": args.seed + 20, "final_train_loss": hist["history"][-1]["loss"],
        "heldout_accuracy": acc, "heldout_accuracy_note": "clean: x_0 at t=0; t=k: x_k = q_sample(x_0), 8 noise draws",
        "wall_seconds": hist["seconds"], **hist, "environment": environment(),
    }
    save_model(os.path.join(args.out, name), model, CLASSIFIER_FLAGS, training)


def sample_grid(args, abar):
    """The README's picture: 10 classes x 8 with DDIM + CFG, checked by the classifier when present."""
    unet_dir = os.path.join(args.out, "digits-unet")
    if not os.path.exists(os.path.join(unet_dir, "model.safetensors")):
        return
    model, cfg = load_model(unet_dir)
    gen = torch.Generator().manual_seed(args.seed + 1000)
    labels = torch.arange(10).repeat_interleave(args.grid_cols)
    x = ddim_sample_cfg(model, labels, args.grid_guidance, args.grid_steps, abar, gen, cfg["num_classes"])
    path = os.path.join(args.out, "samples-pytorch-cfg.png")
    save_grid_png(path, x, 10, args.grid_cols)
    print(f"wrote {path}: DDIM {args.grid_steps} steps, CFG guidance {args.grid_guidance}", flush=True)
    cls_dir = os.path.join(args.out, "digits-classifier")
    if os.path.exists(os.path.join(cls_dir, "model.safetensors")):
        cls, _ = load_model(cls_dir)
        with torch.no_grad():
            pred = cls(x, torch.zeros(len(x), dtype=torch.long)).argmax(-1)
        print(f"classifier agrees with the requested class on {(pred == labels).float().mean():.3f} of the grid",
              flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="models", help="output directory (default: models)")
    p.add_argument("--only", nargs="*", choices=["unet", "weak", "classifier", "grid"],
                   help="train only these (default: all, then the grid)")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=8000, help="main U-Net steps (default 8000)")
    p.add_argument("--weak-steps", type=int, default=None, help="weak U-Net steps (default: steps // 4)")
    p.add_argument("--classifier-steps", type=int, default=3000)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--warmup", type=int, default=None,
                   help="learning-rate warm-up steps (default min(200, steps // 10), as the shipped models)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--classifier-lr", type=float, default=1e-3)
    p.add_argument("--ema-decay", type=float, default=0.999)
    p.add_argument("--p-uncond", type=float, default=0.1)
    p.add_argument("--shift", type=int, default=1, help="max random shift in pixels (0: no augmentation)")
    p.add_argument("--grid-steps", type=int, default=50)
    p.add_argument("--grid-guidance", type=float, default=3.0)
    p.add_argument("--grid-cols", type=int, default=8)
    p.add_argument("--log-every", type=int, default=250)
    p.add_argument("--snapshot-dir", help="also save the U-Nets' EMA weights and a preview grid here every --snapshot-every steps")
    p.add_argument("--snapshot-every", type=int, default=1000)
    p.add_argument("--smoke", action="store_true", help="100 / 25 / 100 steps, 10-step grid: a pipeline check, not a model")
    p.add_argument("--unet-flags", help="a config.json whose flags replace UNET_FLAGS (e.g. a shipped model's, to retrain it)")
    p.add_argument("--weak-flags", help="a config.json whose flags replace WEAK_UNET_FLAGS")
    args = p.parse_args(argv)
    if args.smoke:
        args.steps, args.classifier_steps, args.log_every, args.grid_steps = 100, 100, 20, 10
    if args.weak_steps is None:
        args.weak_steps = args.steps // 4
    only = set(args.only or ["unet", "weak", "classifier", "grid"])

    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    train_set, test_set = digits_data.load_split()
    with open(os.path.join(args.out, "digits-split.json"), "w") as f:
        json.dump({"source": "sklearn.datasets.load_digits (1797 images), indices in its order",
                   "split_seed": digits_data.SPLIT_SEED, "test_fraction": digits_data.TEST_FRACTION,
                   "stratified": True, "train_count": len(train_set), "test_count": len(test_set),
                   "test_indices": test_set.indices.tolist()}, f)
        f.write("\n")
    print(f"data: {len(train_set)} train, {len(test_set)} held-out test images", flush=True)
    abar = cosine_alphas_cumprod(UNET_FLAGS["diffusion_steps"])

    unet_flags = json.load(open(args.unet_flags)) if args.unet_flags else UNET_FLAGS
    weak_flags = json.load(open(args.weak_flags)) if args.weak_flags else WEAK_UNET_FLAGS
    t0 = time.time()
    if "unet" in only:
        run_unet(args, "digits-unet", unet_flags, args.steps, 0, train_set, test_set, abar)
    if "weak" in only:
        run_unet(args, "digits-unet-weak", weak_flags, args.weak_steps, 10, train_set, test_set, abar)
    if "classifier" in only:
        run_classifier(args, train_set, test_set, abar)
    if "grid" in only:
        sample_grid(args, abar)
    print(f"done in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
