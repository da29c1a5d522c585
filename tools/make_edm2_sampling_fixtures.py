"""Golden samples for guided sampling with EDM2 networks: whole runs of EDM2's edm_sampler (Heun, or
Euler without the correction) over small random EDM2 denoisers, main + guide, in float64, on exactly
the noise the Java samplers draw (tools/philox.py = g4j_randn).

    python3 tools/make_edm2_sampling_fixtures.py [--out java/src/test/resources/fixtures/edm2_sampling]

Writes into the output directory:
  main/, guide_xs/, guide_uncond/   model.safetensors + config.json (as tools/convert_edm2.py writes them)
  cases.json                        one entry per run: model, sampler, guidance, labels, seed, expected,
                                    and how far float32 lands from float64 (see below)
  <case>.npy                        float64 (3, 3, 8, 8): the float64 sample

The task: 8x8 images, 3 channels, 5 classes. `main` is class-conditional (model_channels 8, two levels,
attention at 4 px); `guide_xs` is a smaller conditional network of the same task (model_channels 4), the
autoguidance setting; `guide_uncond` is a small unconditional one (label_dim 0), EDM2's "classifier-free
guidance by a separate unconditional network" (its -guid- presets). Weights are F16 (to keep the files
small), EDM2's own N(0, 1) init with the zero-initialised gains re-drawn (tools/make_edm2_fixtures.py).

The loop follows EDM2's generate_images.py edm_sampler:
  denoise(x, t) = D1 if guidance == 1 (the guide is not run), else D0.lerp(D1, w) = D0 + w (D1 - D0),
    D1 = net(x, t, labels), D0 = gnet(x, t, labels): the guide gets the same one-hot labels, which an
    unconditional network (label_dim 0) ignores;
  the same guided denoise in both Heun evaluations; Heun's correction on every step but the last;
  rho-warped sigma grid with t_N = 0; churn gamma = min(S_churn / N, sqrt 2 - 1) when S_min <= t_cur <= S_max.
The guidance interval (Kynkäänniemi et al. 2024; not in EDM2's script) is the repository's definition:
the guided denoiser when lo < sigma <= hi, the main network alone elsewhere, sigma being the noise level
the denoiser is evaluated at (t_hat, or t_next for Heun's correction).
Noise streams, as org.guidance4j.sampling.Noise defines them: stream 0 is the initial noise (scaled by
sigma_max), stream 1 + i the churn noise before step i; sample j's noise is that of global sample j.

Precision: "fp32_vs_fp64" is the relative L2 between the float64 result and EDM2's sampler run as
written in float32 (dtype=torch.float32: sigma grid, loop and networks in float32; the float32
network of tools/edm2_reference.py is EDM2's with use_fp16 off). "sensitivity" records how far the
float64 result moves for small perturbations of the semantics, so a tolerance can be judged against
both. Same torch, same seed: same bytes (torch runs on one thread).
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import edm2_reference as ref  # noqa: E402
import philox  # noqa: E402
from convert_guided_diffusion import read_safetensors, write_safetensors  # noqa: E402
from make_edm2_fixtures import randomize  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join("java", "src", "test", "resources", "fixtures", "edm2_sampling")

TASK = {"img_resolution": 8, "img_channels": 3}
LABEL_DIM = 5
# name -> (seed, config)
MODELS = {
    "main": (21, {**TASK, "label_dim": LABEL_DIM, "model_channels": 8, "channel_mult": [1, 2], "num_blocks": 1,
                  "attn_resolutions": [4], "channels_per_head": 4, "logvar_channels": 8}),
    "guide_xs": (22, {**TASK, "label_dim": LABEL_DIM, "model_channels": 4, "channel_mult": [1, 2], "num_blocks": 1,
                      "attn_resolutions": [4], "channels_per_head": 4, "logvar_channels": 4}),
    "guide_uncond": (23, {**TASK, "label_dim": 0, "model_channels": 4, "channel_mult": [1, 1], "num_blocks": 1,
                          "attn_resolutions": [], "channels_per_head": 4, "logvar_channels": 4}),
}
LABELS = [3, 0, 4]
SHAPE = (len(LABELS), TASK["img_channels"], TASK["img_resolution"], TASK["img_resolution"])
EDM2 = {"sigma_min": 0.002, "sigma_max": 80.0, "rho": 7.0}
# EDM's ImageNet-64 stochastic setting (S_churn, S_min, S_max, S_noise).
CHURN = [40.0, 0.05, 50.0, 1.003]
# EDM2's ImageNet-512 guidance interval (Kynkäänniemi et al. 2024), in sigma: with 8 steps it holds
# the noise levels 4.64 and 1.29 and leaves out 0.2675 just below lo.
INTERVAL = [0.28, 5.42]


def edm(kind, steps, churn=None):
    s = {"kind": kind, "steps": steps, **EDM2}
    if churn:
        s["churn"] = churn
    return s


def auto(guide, w, interval=None):
    g = {"kind": "auto", "scale": w, "guide": guide}
    if interval:
        g["interval"] = interval
    return g


# name -> (sampler, guidance, seed); the main model is always "main"
CASES = {
    "heun8_auto2": (edm("heun", 8), auto("guide_xs", 2.0), 301),
    "heun8_auto2_interval": (edm("heun", 8), auto("guide_xs", 2.0, INTERVAL), 302),
    "euler10_churn_auto2": (edm("euler", 10, CHURN), auto("guide_xs", 2.0), 303),
    "heun8_uncond_guide_1p4": (edm("heun", 8), auto("guide_uncond", 1.4), 304),
    "heun8_auto1": (edm("heun", 8), auto("guide_xs", 1.0), 305),
    "heun32_auto2p1_edm2_defaults": (edm("heun", 32), auto("guide_xs", 2.1), 306),
}


# ---- models -------------------------------------------------------------------------------------


def make_model(name, out):
    seed, cfg = MODELS[name]
    torch.manual_seed(seed)
    full = ref.full_config(cfg)
    net = ref.create(full)
    randomize(net)
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    write_safetensors(os.path.join(d, "model.safetensors"),
                      {k: v.detach().to(torch.float16) for k, v in net.state_dict().items()},
                      {"format": "pt", "source": "edm2"})
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(full, f, indent=2)
        f.write("\n")


class Net:
    """A fixture EDM2 denoiser in one dtype, loaded from the file as written."""

    def __init__(self, directory, dtype):
        with open(os.path.join(directory, "config.json")) as f:
            self.config = json.load(f)
        sd, _ = read_safetensors(os.path.join(directory, "model.safetensors"))
        self.net = ref.create(self.config).to(dtype).eval()
        self.net.load_state_dict(sd, strict=True)
        self.dtype = dtype
        self.label_dim = self.config["label_dim"]

    def __call__(self, x, t, labels):
        """EDM2's net(x, t, labels): labels one-hot (N, 5), ignored by an unconditional network."""
        with torch.no_grad():
            sigma = torch.as_tensor(t, dtype=self.dtype).reshape(1).expand(x.shape[0])
            return self.net(x, sigma, labels if self.label_dim else None)


# ---- EDM2's edm_sampler --------------------------------------------------------------------------


def noise(seed, stream, dtype):
    per = int(np.prod(SHAPE[1:]))
    return torch.from_numpy(philox.randn(seed, stream, 0, SHAPE[0], per)).reshape(SHAPE).to(dtype)


def sigma_steps(s, dtype):
    """EDM2's t_steps in `dtype` (float32 there), t_N = 0 appended."""
    n = s["steps"]
    i = torch.arange(n, dtype=dtype)
    smax, smin, rho = s["sigma_max"], s["sigma_min"], s["rho"]
    t = (smax ** (1 / rho) + i / (n - 1) * (smin ** (1 / rho) - smax ** (1 / rho))) ** rho
    return torch.cat([t, torch.zeros_like(t[:1])])


def guided(net, gnet, w, interval, dtype):
    def denoise(x, t):
        d1 = net(x, t, labels_of(dtype)).to(dtype)
        if w == 1 or (interval is not None and not (interval[0] < float(t) <= interval[1])):
            return d1
        d0 = gnet(x, t, labels_of(dtype)).to(dtype)
        return d0.lerp(d1, w)
    return denoise


def labels_of(dtype):
    return ref.one_hot(LABELS, LABEL_DIM, dtype)


def edm_sampler(denoise, sampler, seed, dtype, stream_offset=0):
    heun = sampler["kind"] == "heun"
    n = sampler["steps"]
    s_churn, s_min, s_max, s_noise = sampler.get("churn", [0.0, 0.0, math.inf, 1.0])
    t_steps = sigma_steps(sampler, dtype)
    x_next = noise(seed, 0, dtype) * t_steps[0]
    for i, (t_cur, t_next) in enumerate(zip(t_steps[:-1], t_steps[1:])):
        x_cur = x_next
        if s_churn > 0 and s_min <= t_cur <= s_max:
            gamma = min(s_churn / n, math.sqrt(2) - 1)
            t_hat = t_cur + gamma * t_cur
            x_hat = x_cur + (t_hat ** 2 - t_cur ** 2).sqrt() * s_noise * noise(seed, 1 + i + stream_offset, dtype)
        else:
            t_hat = t_cur
            x_hat = x_cur
        d_cur = (x_hat - denoise(x_hat, t_hat)) / t_hat
        x_next = x_hat + (t_next - t_hat) * d_cur
        if heun and i < n - 1:
            d_prime = (x_next - denoise(x_next, t_next)) / t_next
            x_next = x_hat + (t_next - t_hat) * (0.5 * d_cur + 0.5 * d_prime)
    return x_next


# ---- fixtures -----------------------------------------------------------------------------------


def rel_l2(a, b):
    return float(torch.linalg.vector_norm(a.double() - b) / torch.linalg.vector_norm(b))


def run(nets, spec, dtype, w=None, interval="same", stream_offset=0):
    sampler, guidance, seed = spec
    w = guidance["scale"] if w is None else w
    interval = guidance.get("interval") if interval == "same" else interval
    denoise = guided(nets["main"], nets[guidance["guide"]], w, interval, dtype)
    return edm_sampler(denoise, sampler, seed, dtype, stream_offset)


def sensitivity(nets, spec, exact):
    """How far the float64 sample moves when the semantics are slightly off."""
    sampler, guidance, seed = spec
    w = guidance["scale"]
    out = {
        "scale_plus_1e-3": rel_l2(run(nets, spec, torch.float64, w=w + 1e-3), exact),
        "unguided": rel_l2(run(nets, spec, torch.float64, w=1.0), exact),
    }
    if "interval" in guidance:
        out["no_interval"] = rel_l2(run(nets, spec, torch.float64, interval=None), exact)
    if "churn" in sampler:
        out["churn_noise_streams_shifted"] = rel_l2(run(nets, spec, torch.float64, stream_offset=1), exact)
    return out


def main():
    p = argparse.ArgumentParser(description="write the EDM2 guided-sampling golden fixtures")
    p.add_argument("--out", default=os.path.join(ROOT, DEFAULT_OUT))
    args = p.parse_args()
    torch.set_num_threads(1)  # reductions in one fixed order: same bytes on every run
    assert philox.known_answers_ok()
    os.makedirs(args.out, exist_ok=True)
    for name in MODELS:
        make_model(name, args.out)
    nets = {dt: {n: Net(os.path.join(args.out, n), dt) for n in MODELS} for dt in (torch.float64, torch.float32)}

    cases = []
    for name, spec in CASES.items():
        sampler, guidance, seed = spec
        exact = run(nets[torch.float64], spec, torch.float64)
        single = run(nets[torch.float32], spec, torch.float32)
        np.save(os.path.join(args.out, name + ".npy"), exact.numpy())
        meta = {
            "name": name, "model": "main", "sampler": sampler, "guidance": guidance, "labels": LABELS,
            "seed": seed, "expected": name + ".npy",
            "fp32_vs_fp64": rel_l2(single, exact),
            "rms": float(exact.pow(2).mean().sqrt()),
            "max_abs": float(exact.abs().max()),
            "sensitivity": sensitivity(nets[torch.float64], spec, exact),
        }
        cases.append(meta)
        sens = ", ".join(f"{k} {v:.1e}" for k, v in meta["sensitivity"].items())
        print(f"{name}: fp32 vs fp64 rel L2 {meta['fp32_vs_fp64']:.2e}, rms {meta['rms']:.3g}, "
              f"max |x| {meta['max_abs']:.3g}; moves: {sens}")
    with open(os.path.join(args.out, "cases.json"), "w") as f:
        json.dump({"torch": torch.__version__, "shape": list(SHAPE), "cases": cases}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
