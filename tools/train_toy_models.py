"""Train the denoisers of the autoguidance 2-D toy (`./guidance4j toy`), on the CPU, in a few minutes.

The recipe is the one of EDM2's toy_example.py (Karras et al. 2024), on our plain-MLP denoiser
(tools/toy_reference.py ToyMlp; EDM2's toy net is an energy model whose score needs autograd,
which the Java side does not have):

  main    class A,         hidden 64, 4 hidden layers, 4096 iterations  (EDM2: clsA-layers04-dim64, iter4096)
  weak    class A,         hidden 32, 4 hidden layers,  512 iterations  (EDM2's autoguidance guide: clsA-layers04-dim32, iter0512)
  uncond  classes A and B, hidden 32, 4 hidden layers,  512 iterations  (EDM2's CFG guide: clsAB-layers04-dim32, iter0512)

Each iteration: batch 1024 (EDM2: 4096, on a GPU), sigma = exp(N(-2.3, 1.5^2)), x = y + sigma n with y drawn from the
exact mixture, and the loss sigma^2 |score_true(x; sigma) - score_net(x; sigma)|^2 =
|D_true - D_net|^2 / sigma^2, the regression onto the exact denoiser of the blurred mixture
(no noise in the target). Adam (betas 0.9, 0.99), lr 1e-2 / sqrt(max(iter / 512, 1)); shipped
weights are the power-function EMA of EDM2 (relative std 0.010).

Writes models/toy/<name>/{model.safetensors, config.json, training.json}.

  /usr/bin/python3 tools/train_toy_models.py --out models/toy            # all three
  /usr/bin/python3 tools/train_toy_models.py --out models/toy --only weak
"""

import argparse
import copy
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert_guided_diffusion import write_safetensors  # noqa: E402
import toy_reference as ref  # noqa: E402

MODELS = {
    "main": dict(classes="A", hidden=64, layers=4, iters=4096, seed=1),
    "weak": dict(classes="A", hidden=32, layers=4, iters=512, seed=2),
    "uncond": dict(classes="AB", hidden=32, layers=4, iters=512, seed=3),
}
BATCH = 1024  # EDM2: 4096 on a GPU; a quarter keeps the CPU run to minutes (exact targets are low-noise)
P_MEAN, P_STD = -2.3, 1.5
LR_REF, LR_ITER = 1e-2, 512
EMA_STD = 0.010


def ema_exponent(std):
    """The power-function EMA exponent of a relative std (EDM2 paper, Eq. 126): the largest real root."""
    t = std ** -2
    return float(np.roots([1, 7, 16 - t, 12 - t]).real.max())


def train(name, spec, out_dir, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(spec["seed"])
    gen = torch.Generator().manual_seed(spec["seed"])
    mix = ref.Mixture(spec["classes"])
    target_of = mix.fast_denoiser()
    net = ref.ToyMlp(spec["hidden"], spec["layers"])
    ema = copy.deepcopy(net).requires_grad_(False)
    opt = torch.optim.Adam(net.parameters(), betas=(0.9, 0.99))
    gamma = ema_exponent(EMA_STD)
    losses = []
    start = time.time()
    for it in range(spec["iters"]):
        opt.param_groups[0]["lr"] = LR_REF / np.sqrt(max(it / LR_ITER, 1))
        sigma = (torch.randn(BATCH, generator=gen, dtype=torch.float64) * P_STD + P_MEAN).exp()
        x = mix.sample(BATCH, sigma, generator=gen)
        target = target_of(x, sigma)
        d = net(x.float(), sigma.float())
        loss = (((d - target) ** 2).sum(-1) / sigma.float() ** 2 / 2).mean()  # mean over the 2 coordinates
        opt.zero_grad()
        loss.backward()
        opt.step()
        beta = (1 - 1 / (it + 1)) ** (gamma + 1)
        with torch.no_grad():
            for pe, pn in zip(ema.parameters(), net.parameters()):
                pe.lerp_(pn, 1 - beta)
        losses.append(loss.item())
        if (it + 1) % 256 == 0 or it + 1 == spec["iters"]:
            print(f"{name}: iter {it + 1}/{spec['iters']} loss {np.mean(losses[-256:]):.5f} ({time.time() - start:.0f} s)", flush=True)
    wall = time.time() - start

    # held-out loss of the EMA weights, on one fixed batch per model
    g = torch.Generator().manual_seed(10_000 + spec["seed"])
    sigma = (torch.randn(BATCH, generator=g, dtype=torch.float64) * P_STD + P_MEAN).exp()
    x = mix.sample(BATCH, sigma, generator=g)
    with torch.no_grad():
        d = ema(x.float(), sigma.float()).double()
    heldout = float((((d - mix.denoise(x, sigma)) ** 2).sum(-1) / sigma ** 2 / 2).mean())

    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    write_safetensors(os.path.join(d, "model.safetensors"), {k: v.contiguous() for k, v in ema.state_dict().items()}, {"format": "pt"})
    config = {"kind": "toy_mlp", "classes": spec["classes"], "hidden": spec["hidden"], "layers": spec["layers"], "sigma_data": ref.SIGMA_DATA}
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    record = {
        "what": "regression onto the exact denoiser of the toy mixture blurred by sigma (EDM2 toy_example.py recipe), EMA weights shipped",
        "parameters": sum(p.numel() for p in net.parameters()),
        **{k: spec[k] for k in ("classes", "hidden", "layers", "iters", "seed")},
        "batch": BATCH,
        "sigma": f"exp(N({P_MEAN}, {P_STD}^2))",
        "loss": "|D_true - D_net|^2 / sigma^2, averaged over the 2 coordinates",
        "optimizer": "Adam betas (0.9, 0.99)",
        "lr": f"{LR_REF} / sqrt(max(iter / {LR_ITER}, 1))",
        "ema": f"power function, relative std {EMA_STD} (exponent {gamma:.4f})",
        "final_train_loss_last256": float(np.mean(losses[-256:])),
        "heldout_loss_ema": heldout,
        "loss_every_64": [float(np.mean(losses[i:i + 64])) for i in range(0, len(losses), 64)],
        "wall_seconds": round(wall, 1),
        "threads": threads,
        "torch": torch.__version__,
    }
    with open(os.path.join(d, "training.json"), "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    print(f"{name}: wrote {d} ({record['parameters']} parameters, held-out loss {heldout:.5f}, {wall:.0f} s)", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="models/toy", help="folder of the model folders (default models/toy)")
    p.add_argument("--only", choices=sorted(MODELS), action="append", help="train only this model (repeatable)")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads (same count, same torch: same weights)")
    p.add_argument("--iters-scale", type=float, default=1.0, help="multiply every iteration count (quick trials; ship 1)")
    args = p.parse_args()
    for name in args.only or list(MODELS):
        spec = dict(MODELS[name])
        spec["iters"] = max(1, int(round(spec["iters"] * args.iters_scale)))
        train(name, spec, args.out, args.threads)


if __name__ == "__main__":
    main()
