"""Golden samples for the Java samplers: whole sampling runs of small random ADM networks, computed in
float64 by PyTorch loops written to the semantics of the originals, on exactly the noise the Java
samplers draw (tools/philox.py = g4j_randn).

    python3 tools/make_sampler_fixtures.py [--out java/src/test/resources/fixtures/sampling]

Writes into the output directory:
  unet_e/            a tiny class-conditional ADM U-Net WITHOUT learned sigma and WITH a CFG null class
                     (none of the ADM fixtures has both; DDPM with learned sigma is not in Java yet)
  noise.npy          g4j_randn values from tools/philox.py, to check the Python noise against the native one
  init_noise.npy     float32 (3, 3, 16, 16): the initial noise of case ddim8_eta0_noclip, to feed as x_T
  cases.json         one entry per sampling run: model(s), sampler, guidance, labels, seed, expected file
  <case>.npy         float64 (n, 3, 16, 16): the float64 reference sample of each case

The loops (see the functions below for the precise semantics each follows):
  * guided-diffusion's ddim_sample_loop and p_sample_loop over a respaced diffusion (SpacedDiffusion):
    the model sees the ORIGINAL timestep index, x0 = sqrt(1/abar) x - sqrt(1/abar - 1) eps, clipped to
    [-1, 1] with clip_denoised, DDIM re-derives eps from the clipped x0, DDPM uses the fixed-large
    variance (learn_sigma False, sigma_small False) and its posterior mean;
  * EDM2's edm_sampler (Heun, or Euler without the correction; rho-warped sigma grid; stochastic churn)
    over the discrete eps model seen as a denoiser: D(x; sigma) = x - sigma eps(x / sqrt(1 + sigma^2), t)
    with t = k-diffusion's sigma_to_t (linear in log sigma over the ORIGINAL 1000 training sigmas).
Noise streams, as org.guidance4j.sampling.Noise defines them: stream 0 is the initial noise, stream 1 + k
the noise of the k-th loop iteration (0-based: DDPM/DDIM step k, EDM churn before step k); the noise of
sample j of a run is the Philox noise of global sample j, so batching does not change it.

Guidance, on eps (at a fixed noise level eps and D are affine in each other, so combining either is the
same): cfg eps_u + gamma (eps_c - eps_u) with the null label; autoguidance eps0 + w (eps1 - eps0) with a
second network as eps0; a guidance interval applies the inside guidance when lo < sigma <= hi and the
main model alone elsewhere. Learned-sigma models contribute their first 3 output channels only (DDIM and
EDM never use the variance).

Every case also runs in float32 (network and loop), and cases.json records how far that lands from the
float64 result ("fp32_vs_fp64" relative L2): the scale of rounding a float32 implementation should show.
Same torch, same seed: same bytes (torch runs on one thread).
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adm_reference as ref  # noqa: E402
import philox  # noqa: E402
from convert_guided_diffusion import read_safetensors, write_safetensors  # noqa: E402
from make_adm_fixtures import randomize  # noqa: E402
from make_schedule_fixtures import linear_betas, respaced_betas, space_timesteps  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join("java", "src", "test", "resources", "fixtures")
DEFAULT_OUT = os.path.join(FIXTURES, "sampling")

# The new network: class-conditional with a null class, eps only (3 output channels), F16 weights.
UNET_E_SEED = 11
UNET_E = {
    "kind": "adm_unet", "image_size": 16, "num_channels": 32, "channel_mult": "1,1", "num_res_blocks": 1,
    "attention_resolutions": "8", "num_heads": 2, "class_cond": True, "num_classes": 10, "null_class": True,
    "learn_sigma": False, "use_scale_shift_norm": True, "resblock_updown": False, "conv_resample": True,
}

# Model names are paths relative to fixtures/ (the Java test resolves them the same way).
MAIN = "adm/unet_c"          # class_cond + null class, learn_sigma
EPS_ONLY = "sampling/unet_e"  # class_cond + null class, no learn_sigma
LABELS = [3, 7, 0]
EDM2 = {"sigma_min": 0.002, "sigma_max": 80.0, "rho": 7.0}
# EDM's ImageNet-64 stochastic setting (S_churn, S_min, S_max, S_noise).
CHURN = [40.0, 0.05, 50.0, 1.003]
# EDM2's guidance interval for ImageNet-512 (Kynkäänniemi et al. 2024), in sigma.
INTERVAL = [0.28, 5.42]


def ddim(respacing, clip, eta):
    return {"kind": "ddim", "respacing": respacing, "clip": clip, "eta": eta}


def ddpm(respacing, clip):
    return {"kind": "ddpm", "respacing": respacing, "clip": clip}


def edm(kind, steps, churn=None):
    s = {"kind": kind, "steps": steps, **EDM2}
    if churn:
        s["churn"] = churn
    return s


NONE = {"kind": "none"}
CFG3 = {"kind": "cfg", "scale": 3.0}


def auto(guide, w):
    return {"kind": "auto", "scale": w, "guide": guide}


def interval(inside):
    return {**inside, "interval": INTERVAL}


# name -> (model, sampler, guidance, seed)
CASES = {
    "ddim8_eta0_clip": (MAIN, ddim("ddim8", True, 0.0), NONE, 101),
    "ddim8_eta0_noclip": (MAIN, ddim("ddim8", False, 0.0), NONE, 102),
    "ddim8_eta05_clip": (MAIN, ddim("ddim8", True, 0.5), NONE, 103),
    "ddim8_eta05_noclip": (MAIN, ddim("ddim8", False, 0.5), NONE, 104),
    "ddim8_eta0_clip_cfg3": (MAIN, ddim("ddim8", True, 0.0), CFG3, 105),
    "ddim8_eta05_noclip_cfg3": (MAIN, ddim("ddim8", False, 0.5), CFG3, 106),
    "ddim10_eta05_clip_cfg3_interval": (MAIN, ddim("10", True, 0.5), interval(CFG3), 107),
    "ddim8_eta0_clip_auto2": (MAIN, ddim("ddim8", True, 0.0), auto("adm/unet_d", 2.0), 108),
    "ddpm10_clip": (EPS_ONLY, ddpm("10", True), NONE, 109),
    "ddpm10_noclip": (EPS_ONLY, ddpm("10", False), NONE, 110),
    "ddpm10_clip_cfg3": (EPS_ONLY, ddpm("10", True), CFG3, 111),
    "ddpm6_4_noclip_auto2": (EPS_ONLY, ddpm("6,4", False), auto("adm/unet_b", 2.0), 112),
    "heun8": (MAIN, edm("heun", 8), NONE, 113),
    "heun8_cfg3": (MAIN, edm("heun", 8), CFG3, 114),
    "heun8_cfg3_interval": (MAIN, edm("heun", 8), interval(CFG3), 115),
    "heun8_auto2_uncond_guide": (MAIN, edm("heun", 8), auto("adm/unet_a", 2.0), 116),
    "heun6_churn": (MAIN, edm("heun", 6, CHURN), NONE, 117),
    "euler10": (MAIN, edm("euler", 10), NONE, 118),
    "euler10_cfg3": (MAIN, edm("euler", 10), CFG3, 119),
    "euler10_churn_cfg3": (MAIN, edm("euler", 10, CHURN), CFG3, 120),
}


# ---- models -------------------------------------------------------------------------------------


class Net:
    """A fixture U-Net in one dtype: raw output (N, 3 or 6, H, W) at real-valued timesteps."""

    def __init__(self, directory, dtype):
        with open(os.path.join(directory, "config.json")) as f:
            self.config = json.load(f)
        sd, _ = read_safetensors(os.path.join(directory, "model.safetensors"))
        self.net = ref.create(self.config).to(dtype).eval()
        self.net.load_state_dict(sd, strict=True)
        self.dtype = dtype
        self.class_cond = bool(self.config["class_cond"])
        self.null = self.config["num_classes"] if self.config.get("null_class") else None
        assert self.config["noise_schedule"] == "linear" and self.config["diffusion_steps"] == 1000

    def eps(self, x, t, labels):
        """eps (first 3 channels) at timestep t (a python float, the same for every sample)."""
        ts = torch.full((x.shape[0],), t, dtype=torch.float64)
        y = torch.tensor(labels, dtype=torch.int64) if self.class_cond else None
        with torch.no_grad():
            return self.net(x, ts, y)[:, :3]


def guided_eps(spec, nets, main):
    """eps~(x, t, sigma, labels) for a guidance spec (see the module docstring)."""
    kind = spec["kind"]

    def none(x, t, sigma, labels):
        return main.eps(x, t, labels)

    def cfg(x, t, sigma, labels):
        n = x.shape[0]
        both = main.eps(torch.cat([x, x]), t, list(labels) + [main.null] * n)  # one batch of 2n
        cond, uncond = both[:n], both[n:]
        return uncond + spec["scale"] * (cond - uncond)

    def autoguidance(x, t, sigma, labels):
        guide = nets[spec["guide"]]
        e1 = main.eps(x, t, labels)
        e0 = guide.eps(x, t, labels)
        return e0 + spec["scale"] * (e1 - e0)

    inside = {"none": none, "cfg": cfg, "auto": autoguidance}[kind]
    if "interval" not in spec:
        return inside
    lo, hi = spec["interval"]
    return lambda x, t, sigma, labels: (inside if lo < sigma <= hi else none)(x, t, sigma, labels)


# ---- noise --------------------------------------------------------------------------------------


def noise(seed, stream, shape, dtype):
    n = shape[0]
    per = int(np.prod(shape[1:]))
    return torch.from_numpy(philox.randn(seed, stream, 0, n, per)).reshape(shape).to(dtype)


# ---- guided-diffusion: respaced diffusion, ddim_sample_loop, p_sample_loop ------------------------


class Spaced:
    """GaussianDiffusion's arrays over the respaced betas, and the map to the original timesteps."""

    def __init__(self, respacing, steps=1000):
        original = linear_betas(steps)
        self.timestep_map = space_timesteps(steps, respacing)
        b = respaced_betas(original, self.timestep_map)
        self.betas = b
        self.abar = np.cumprod(1.0 - b)
        self.abar_prev = np.append(1.0, self.abar[:-1])
        self.sqrt_recip = np.sqrt(1.0 / self.abar)
        self.sqrt_recipm1 = np.sqrt(1.0 / self.abar - 1.0)
        self.post_var = b * (1.0 - self.abar_prev) / (1.0 - self.abar)
        self.coef1 = b * np.sqrt(self.abar_prev) / (1.0 - self.abar)
        self.coef2 = (1.0 - self.abar_prev) * np.sqrt(1.0 - b) / (1.0 - self.abar)
        # FIXED_LARGE: beta_t, with btilde_1 at t = 0 (guided-diffusion's model_variance choice).
        self.large_log_var = np.log(np.append(self.post_var[1], b[1:]))

    def steps(self):
        return len(self.betas)

    def sigma(self, i):
        return math.sqrt((1.0 - self.abar[i]) / self.abar[i])

    def pred_xstart(self, x, i, eps, clip):
        x0 = self.sqrt_recip[i] * x - self.sqrt_recipm1[i] * eps
        return x0.clamp(-1, 1) if clip else x0


def ddim_sample_loop(model, sampler, shape, labels, seed, dtype):
    d = Spaced(sampler["respacing"])
    eta = sampler["eta"]
    x = noise(seed, 0, shape, dtype)
    for k, i in enumerate(reversed(range(d.steps()))):
        eps = model(x, float(d.timestep_map[i]), d.sigma(i), labels)
        x0 = d.pred_xstart(x, i, eps, sampler["clip"])
        eps = (d.sqrt_recip[i] * x - x0) / d.sqrt_recipm1[i]  # _predict_eps_from_xstart
        a, ap = d.abar[i], d.abar_prev[i]
        sigma = eta * math.sqrt((1 - ap) / (1 - a)) * math.sqrt(1 - a / ap)
        mean = x0 * math.sqrt(ap) + math.sqrt(1 - ap - sigma ** 2) * eps
        x = mean + sigma * noise(seed, 1 + k, shape, dtype) if i > 0 else mean
    return x


def p_sample_loop(model, sampler, shape, labels, seed, dtype):
    d = Spaced(sampler["respacing"])
    x = noise(seed, 0, shape, dtype)
    for k, i in enumerate(reversed(range(d.steps()))):
        eps = model(x, float(d.timestep_map[i]), d.sigma(i), labels)
        x0 = d.pred_xstart(x, i, eps, sampler["clip"])
        mean = d.coef1[i] * x0 + d.coef2[i] * x  # q_posterior_mean_variance
        if i > 0:
            x = mean + math.exp(0.5 * d.large_log_var[i]) * noise(seed, 1 + k, shape, dtype)
        else:
            x = mean
    return x


# ---- EDM2's edm_sampler over the discrete model --------------------------------------------------


def training_log_sigmas(steps=1000):
    abar = np.cumprod(1.0 - linear_betas(steps))
    return torch.from_numpy(np.log(np.sqrt((1.0 - abar) / abar)))


def sigma_to_t(sigma, log_sigmas):
    """k-diffusion's DiscreteSchedule.sigma_to_t for one sigma: the last training step whose log
    sigma is <= log(sigma) (step 0 when none), capped at T - 2, and linear interpolation in log sigma
    to the next step, the weight clamped to [0, 1]."""
    q = math.log(sigma)
    at_or_below = (log_sigmas <= q).to(torch.int64).cumsum(0)
    low = min(int(at_or_below.argmax()), len(log_sigmas) - 2)
    lo, hi = float(log_sigmas[low]), float(log_sigmas[low + 1])
    w = min(max((lo - q) / (lo - hi), 0.0), 1.0)
    return (1 - w) * low + w * (low + 1)


def edm_sigma_steps(s):
    n = s["steps"]
    i = torch.arange(n, dtype=torch.float64)
    smax, smin, rho = s["sigma_max"], s["sigma_min"], s["rho"]
    t = (smax ** (1 / rho) + i / (n - 1) * (smin ** (1 / rho) - smax ** (1 / rho))) ** rho
    return [float(v) for v in t] + [0.0]


def edm_sampler(model, sampler, shape, labels, seed, dtype):
    log_sigmas = training_log_sigmas()

    def denoise(x, sigma):
        eps = model(x / math.sqrt(1 + sigma ** 2), sigma_to_t(sigma, log_sigmas), sigma, labels)
        return x - sigma * eps

    heun = sampler["kind"] == "heun"
    n = sampler["steps"]
    s_churn, s_min, s_max, s_noise = sampler.get("churn", [0.0, 0.0, math.inf, 1.0])
    t_steps = edm_sigma_steps(sampler)
    x_next = noise(seed, 0, shape, dtype) * t_steps[0]
    for i, (t_cur, t_next) in enumerate(zip(t_steps[:-1], t_steps[1:])):
        x_cur = x_next
        gamma = min(s_churn / n, math.sqrt(2) - 1) if s_churn > 0 and s_min <= t_cur <= s_max else 0.0
        t_hat = t_cur + gamma * t_cur
        x_hat = x_cur
        if gamma > 0:
            x_hat = x_cur + math.sqrt(t_hat ** 2 - t_cur ** 2) * s_noise * noise(seed, 1 + i, shape, dtype)
        d_cur = (x_hat - denoise(x_hat, t_hat)) / t_hat
        x_next = x_hat + (t_next - t_hat) * d_cur
        if heun and i < n - 1:
            d_prime = (x_next - denoise(x_next, t_next)) / t_next
            x_next = x_hat + (t_next - t_hat) * (0.5 * d_cur + 0.5 * d_prime)
    return x_next


# A deterministic case (eta 0: no noise after the initial one) whose x_T is also written out.
INIT_NOISE_CASE = "ddim8_eta0_noclip"

LOOPS = {"ddim": ddim_sample_loop, "ddpm": p_sample_loop, "heun": edm_sampler, "euler": edm_sampler}


# ---- fixtures -----------------------------------------------------------------------------------


def make_unet_e(out):
    torch.manual_seed(UNET_E_SEED)
    cfg = {"kind": "adm_unet", **ref.model_config(UNET_E)}
    net = ref.create(cfg)
    randomize(net)
    d = os.path.join(out, "unet_e")
    os.makedirs(d, exist_ok=True)
    write_safetensors(os.path.join(d, "model.safetensors"),
                      {k: v.detach().to(torch.float16) for k, v in net.state_dict().items()}, {"format": "pt"})
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")


def rel_l2(a, b):
    return float(torch.linalg.vector_norm(a.double() - b) / torch.linalg.vector_norm(b))


def run_case(name, nets_by_dtype, spec):
    model_name, sampler, guidance, seed = spec
    shape = (len(LABELS), 3, 16, 16)
    results = {}
    for dtype, nets in nets_by_dtype.items():
        model = guided_eps(guidance, nets, nets[model_name])
        results[dtype] = LOOPS[sampler["kind"]](model, sampler, shape, LABELS, seed, dtype)
    exact = results[torch.float64]
    return exact, {
        "name": name, "model": model_name, "sampler": sampler, "guidance": guidance, "labels": LABELS,
        "seed": seed, "expected": name + ".npy",
        "fp32_vs_fp64": rel_l2(results[torch.float32], exact),
        "rms": float(exact.pow(2).mean().sqrt()),
        "max_abs": float(exact.abs().max()),
    }


def main():
    p = argparse.ArgumentParser(description="write the sampler golden fixtures")
    p.add_argument("--out", default=os.path.join(ROOT, DEFAULT_OUT))
    args = p.parse_args()
    torch.set_num_threads(1)  # reductions in one fixed order: same bytes on every run
    assert philox.known_answers_ok()
    os.makedirs(args.out, exist_ok=True)
    make_unet_e(args.out)

    # A seed above 2^32 and a first sample above 0 exercise both key words and the sample counter.
    np.save(os.path.join(args.out, "noise.npy"), philox.randn(0x1234_5678_9ABC, 5, 7, 3, 771))

    # The initial noise of one deterministic case, for the Java --init-noise path (SamplingRun.initialNoise).
    model_name, sampler, guidance, seed = CASES[INIT_NOISE_CASE]
    shape = (len(LABELS), 3, 16, 16)
    np.save(os.path.join(args.out, "init_noise.npy"), noise(seed, 0, shape, torch.float32).numpy())

    fixtures = os.path.dirname(os.path.abspath(args.out))
    names = sorted({spec[0] for spec in CASES.values()}
                   | {spec[2]["guide"] for spec in CASES.values() if "guide" in spec[2]})

    def path(n):
        return os.path.join(args.out, n.split("/", 1)[1]) if n.startswith("sampling/") else os.path.join(fixtures, n)

    nets = {dt: {n: Net(path(n), dt) for n in names} for dt in (torch.float64, torch.float32)}
    cases = []
    for name, spec in CASES.items():
        exact, meta = run_case(name, nets, spec)
        np.save(os.path.join(args.out, name + ".npy"), exact.numpy())
        cases.append(meta)
        print(f"{name}: fp32 vs fp64 rel L2 {meta['fp32_vs_fp64']:.2e}, rms {meta['rms']:.3g}, "
              f"max |x| {meta['max_abs']:.3g}")
    with open(os.path.join(args.out, "cases.json"), "w") as f:
        json.dump({"torch": torch.__version__, "shape": [len(LABELS), 3, 16, 16], "cases": cases}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
