"""Golden samples for DPM-Solver++ and the guidance variants (CFG rescale, APG, PAG): whole sampling
runs of the small random fixture networks, computed in float64 by PyTorch loops written from the
papers' formulas and k-diffusion's / diffusers' definitions, on exactly the noise the Java samplers
draw (tools/philox.py = g4j_randn).

    /usr/bin/python3 tools/make_variant_fixtures.py [--out java/src/test/resources/fixtures/variants]

Writes cases.json (one entry per run) and <case>.npy (float64 (3, 3, R, R): the float64 sample) into
the output directory. The networks are the existing fixtures: `sampling/unet_e` (ADM, class-conditional
with a null class, eps output, attention at 8x8) and `edm2_sampling/main` (EDM2, class-conditional,
attention at 4x4); the ADM network's output is also read as an x0 or a v prediction ("prediction").

Samplers (noise streams as org.guidance4j.sampling.Noise: 0 the initial noise, 1 + i step i's):
  * DPM-Solver++(2M), k-diffusion's sample_dpmpp_2m: with t = -log sigma, h = t_next - t,
    x <- (sigma_next / sigma) x - expm1(-h) D_d, D_d = D on the first step and (1 + 1/(2r)) D - 1/(2r) D_prev
    after it (r = h_prev / h), and x = D on the last step (sigma_next = 0);
  * DPM-Solver++(2M) SDE, k-diffusion's sample_dpmpp_2m_sde: x <- (sigma_next / sigma) e^(-eta h) x
    - expm1(-h - eta h) D, plus the midpoint correction 0.5 (-expm1(-h - eta h)) / r (D - D_prev) or the
    heun one ((-expm1(-h - eta h)) / (-h - eta h) + 1) / r (D - D_prev), plus
    sigma_next sqrt(-expm1(-2 eta h)) s_noise z with z the step's noise (k-diffusion's Brownian-tree
    sampler replaced by the seeded noise);
  * EDM's Heun (edm_sampler without churn) and guided-diffusion's DDIM (eta 0, no clipping), for the
    guidance cases.
The continuous samplers run the denoiser view: for the ADM network D(x; sigma) maps the output at
x / sqrt(1 + sigma^2) and t = k-diffusion's sigma_to_t(sigma) to x0 (eps: x - sigma o; x0: o;
v: x / (1 + sigma^2) - sigma / sqrt(1 + sigma^2) o); the EDM2 network is D itself.
Sigma grids: Karras's rho grid, or uniform in the time u of Ho & Salimans' log-SNR schedule
(lambda(u) = -2 log tan(a u + b), lambda in [-20, 20]), as org.guidance4j.diffusion.schedule defines them.

Guidance, on the model's raw output o (the same affine map to x0 for every evaluation of one step):
  * cfg_rescale (diffusers' rescale_noise_cfg): g = u + gamma (c - u), g <- phi g std(c)/std(g)
    + (1 - phi) g, std over (C, H, W) with Bessel's correction (torch.std);
  * apg (Sadat et al. 2024, Algorithm 1, on denoised predictions): D_c, D_u the x0 of c, u; diff = D_c - D_u,
    with momentum the running average m <- diff + beta m (m = 0 before a run's first evaluation), then
    diff <- m; diff <- diff min(1, r / ||diff||) when r > 0; parallel/orthogonal parts relative to D_c;
    D = D_c + (w - 1)(orthogonal + eta parallel), mapped back to the output space;
  * pag (Ahn et al. 2024): p = the output with the identity attention map in the named layers
    (tools/adm_reference.py, tools/edm2_reference.py: identity_attention), g = c + s (c - p), or with CFG
    u + gamma (c - u) + s (c - p) as diffusers' PAG pipelines;
  * an interval [lo, hi]: the guidance when lo < sigma <= hi, the conditional model alone elsewhere
    (and the guidance's state untouched there).
The perturbed and the unconditional outputs are separate forwards here (the Java side batches them).

Every case also runs in float32 (networks and loops) and records how far that lands from float64
("fp32_vs_fp64", relative L2), plus "sensitivity": how far the float64 result moves when one parameter
of the method is nudged, so the Java tolerance can be judged against both.
Same torch, same seed: same bytes (torch runs on one thread).
"""

import argparse
import contextlib
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import edm2_reference  # noqa: E402
import make_edm2_sampling_fixtures as edm2fx  # noqa: E402
import make_sampler_fixtures as admfx  # noqa: E402
import philox  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "java", "src", "test", "resources", "fixtures")
DEFAULT_OUT = os.path.join(FIXTURES, "variants")

ADM = "sampling/unet_e"
EDM2 = "edm2_sampling/main"
LABELS = {ADM: [3, 7, 0], EDM2: [3, 0, 4]}
SHAPES = {ADM: (3, 3, 16, 16), EDM2: (3, 3, 8, 8)}
# A guidance interval that leaves out both ends of the 10-step Karras grid (it holds 1.50, 0.470 and
# 0.117): steps outside it are unguided, and APG's momentum is not updated there.
INTERVAL = [3.0, 50.0]


def karras(steps, smin=0.002, smax=80.0, rho=7.0):
    return {"kind": "karras", "steps": steps, "sigma_min": smin, "sigma_max": smax, "rho": rho}


def logsnr(steps, smin=0.002, smax=80.0):
    return {"kind": "logsnr", "steps": steps, "sigma_min": smin, "sigma_max": smax}


def dpm(grid):
    return {"kind": "dpmpp-2m", "grid": grid}


def dpm_sde(grid, eta=1.0, s_noise=1.0, solver="midpoint"):
    return {"kind": "dpmpp-2m-sde", "grid": grid, "eta": eta, "s_noise": s_noise, "solver": solver}


def heun(grid):
    return {"kind": "heun", "grid": grid}


def ddim(respacing):
    return {"kind": "ddim", "respacing": respacing, "clip": False, "eta": 0.0}


NONE = {"kind": "none"}


def cfg(gamma):
    return {"kind": "cfg", "scale": gamma}


def rescale(gamma, phi):
    return {"kind": "cfg_rescale", "scale": gamma, "phi": phi}


def apg(w, eta=0.0, r=0.0, beta=0.0):
    return {"kind": "apg", "scale": w, "eta": eta, "norm_threshold": r, "momentum": beta}


def pag(s, layers, gamma=1.0):
    return {"kind": "pag", "scale": s, "layers": layers, "cfg_scale": gamma}


def within(g):
    return {**g, "interval": INTERVAL}


# name -> (model, prediction, sampler, guidance, seed)
CASES = {
    # DPM-Solver++ (2M and 2M SDE) over both grids, every prediction type, both model kinds
    "dpmpp2m_karras10": (ADM, "eps", dpm(karras(10)), NONE, 401),
    "dpmpp2m_logsnr12_cfg3": (ADM, "eps", dpm(logsnr(12)), cfg(3.0), 402),
    "dpmpp2m_x0_karras8": (ADM, "x0", dpm(karras(8)), NONE, 403),
    "dpmpp2m_v_karras8_cfg2": (ADM, "v", dpm(karras(8)), cfg(2.0), 404),
    "dpmpp2msde_karras10": (ADM, "eps", dpm_sde(karras(10)), NONE, 405),
    "dpmpp2msde_heun_eta05_logsnr9": (ADM, "eps", dpm_sde(logsnr(9), 0.5, 1.003, "heun"), NONE, 406),
    "dpmpp2m_steps1": (ADM, "eps", dpm(karras(1)), NONE, 407),
    "edm2_dpmpp2m_karras12": (EDM2, "x0", dpm(karras(12)), NONE, 408),
    "edm2_dpmpp2msde_karras12": (EDM2, "x0", dpm_sde(karras(12)), NONE, 409),
    # CFG with guidance rescale
    "ddim8_cfg5_rescale07": (ADM, "eps", ddim("ddim8"), rescale(5.0, 0.7), 411),
    "heun6_cfg4_rescale1": (ADM, "eps", heun(karras(6)), rescale(4.0, 1.0), 412),
    "dpmpp2m10_v_cfg5_rescale07": (ADM, "v", dpm(karras(10)), rescale(5.0, 0.7), 413),
    # APG: threshold, momentum (both Heun evaluations), eta, intervals, x0 and v models
    "ddim8_apg5_r": (ADM, "eps", ddim("ddim8"), apg(5.0, 0.0, 6.0, 0.0), 421),
    "heun6_apg4_momentum": (ADM, "eps", heun(karras(6)), apg(4.0, 0.0, 0.0, -0.5), 422),
    "dpmpp2m10_apg3_all_interval": (ADM, "eps", dpm(karras(10)), within(apg(3.0, 0.3, 2.0, -0.5)), 423),
    "ddim8_x0_apg4_momentum": (ADM, "x0", ddim("ddim8"), apg(4.0, 0.0, 0.0, -0.75), 424),
    "dpmpp2msde10_v_apg4_r_momentum": (ADM, "v", dpm_sde(karras(10)), apg(4.0, 0.2, 6.0, -0.5), 425),
    # PAG: alone, with CFG, in an interval; ADM and EDM2
    "ddim8_pag3_mid": (ADM, "eps", ddim("ddim8"), pag(3.0, ["mid"]), 431),
    "heun6_pag2_cfg2_outputs": (ADM, "eps", heun(karras(6)), pag(2.0, ["output_blocks.1", "input_blocks.3"], 2.0), 432),
    "dpmpp2m10_pag3_interval": (ADM, "eps", dpm(karras(10)), within(pag(3.0, ["mid"])), 433),
    "edm2_heun6_pag2_mid": (EDM2, "x0", heun(karras(6)), pag(2.0, ["mid"]), 434),
    "edm2_dpmpp2m10_pag1p5_enc": (EDM2, "x0", dpm(karras(10)), pag(1.5, ["unet.enc.4x4_block0"]), 435),
}


# ---- models ------------------------------------------------------------------------------------


class Model:
    """A fixture network as the Java DiffusionModel sees it: output(x_vp, noise input, labels)."""

    def __init__(self, name, dtype):
        self.name = name
        self.dtype = dtype
        if name == ADM:
            self.net = admfx.Net(os.path.join(FIXTURES, *name.split("/")), dtype)
            self.null = self.net.null
            self.log_sigmas = admfx.training_log_sigmas()
            self.middle = ["middle_block.1"]
            self.root = self.net.net
        else:
            self.net = edm2fx.Net(os.path.join(FIXTURES, *name.split("/")), dtype)
            self.null = None
            self.middle = ["unet.dec.4x4_in0"]
            self.root = self.net.net
        self.attention = [n for n, m in self.root.named_modules()
                          if hasattr(m, "identity_attention") and getattr(m, "num_heads", 0)]

    def layers(self, entries):
        """The attention layers the entries select: "mid", or a name continued by '.' or '_'."""
        out = []
        for e in entries:
            hit = self.middle if e == "mid" else [n for n in self.attention
                                                  if n == e or n.startswith(e + ".") or n.startswith(e + "_")]
            assert hit, f"{e} selects no attention layer of {self.name}: {self.attention}"
            out += [h for h in hit if h not in out]
        return out

    def output(self, x_vp, noise_input, labels, perturbed=()):
        mods = dict(self.root.named_modules())
        with contextlib.ExitStack() as stack:
            for n in perturbed:
                mods[n].identity_attention = True
                stack.callback(setattr, mods[n], "identity_attention", False)
            if self.name == ADM:
                return self.net.eps(x_vp, noise_input, labels)
            sigma = noise_input
            one_hot = edm2_reference.one_hot(labels, self.net.label_dim, self.dtype)
            with torch.no_grad():
                s = torch.full((x_vp.shape[0],), sigma, dtype=self.dtype)
                return self.net.net(x_vp * math.sqrt(1 + sigma * sigma), s, one_hot)

    def noise_input(self, sigma):
        return admfx.sigma_to_t(sigma, self.log_sigmas) if self.name == ADM else sigma


def x0_map(prediction, sigma):
    """(px, pg): x0 = px x_vp + pg output at noise level sigma (abar = 1 / (1 + sigma^2))."""
    s = math.sqrt(1 + sigma * sigma)
    return {"eps": (s, -sigma), "x0": (0.0, 1.0), "v": (1 / s, -sigma / s)}[prediction]


# ---- guidance ----------------------------------------------------------------------------------


def per_sample(t):
    return t.reshape(t.shape[0], 1, 1, 1)


def guided_output(model, prediction, spec, labels, state):
    """o~(x_vp, noise input, sigma) of a guidance spec; `state` holds APG's momentum of one run."""
    kind = spec["kind"]
    null = [model.null] * len(labels) if model.null is not None else None

    def inside(x, t, sigma):
        c = model.output(x, t, labels)
        if kind == "none":
            return c
        if kind == "cfg":
            u = model.output(x, t, null)
            return u + spec["scale"] * (c - u)
        if kind == "cfg_rescale":
            u = model.output(x, t, null)
            g = u + spec["scale"] * (c - u)
            std_c = c.std(dim=(1, 2, 3), keepdim=True)
            std_g = g.std(dim=(1, 2, 3), keepdim=True)
            phi = spec["phi"]
            return phi * (g * (std_c / std_g)) + (1 - phi) * g
        if kind == "apg":
            u = model.output(x, t, null)
            px, pg = x0_map(prediction, sigma)
            d_c, d_u = px * x + pg * c, px * x + pg * u
            diff = d_c - d_u
            if spec["momentum"] != 0:
                state["m"] = diff + spec["momentum"] * state.get("m", 0)
                diff = state["m"]
            if spec["norm_threshold"] > 0:
                norm = per_sample(diff.flatten(1).norm(dim=1))
                diff = diff * torch.minimum(torch.ones_like(norm), spec["norm_threshold"] / norm)
                state["clipped"] = state.get("clipped", 0) + int((norm > spec["norm_threshold"]).sum())
            unit = d_c / per_sample(d_c.flatten(1).norm(dim=1))
            parallel = per_sample((diff * unit).flatten(1).sum(dim=1)) * unit
            update = (diff - parallel) + spec["eta"] * parallel
            d = d_c + (spec["scale"] - 1) * update
            return (d - px * x) / pg
        if kind == "pag":
            p = model.output(x, t, labels, model.layers(spec["layers"]))
            g = c + spec["scale"] * (c - p)
            if spec["cfg_scale"] != 1:
                u = model.output(x, t, null)
                g = g + (spec["cfg_scale"] - 1) * (c - u)  # u + gamma (c - u) + s (c - p)
            return g
        raise ValueError(kind)

    if "interval" not in spec:
        return inside
    lo, hi = spec["interval"]
    return lambda x, t, sigma: inside(x, t, sigma) if lo < sigma <= hi else model.output(x, t, labels)


# ---- samplers ----------------------------------------------------------------------------------


def sigmas(grid):
    n = grid["steps"]
    smin, smax = grid["sigma_min"], grid["sigma_max"]
    if grid["kind"] == "karras":
        if n == 1:
            return [smax, 0.0]
        rho = grid["rho"]
        top, bottom = smax ** (1 / rho), smin ** (1 / rho)
        return [(top + i / (n - 1) * (bottom - top)) ** rho for i in range(n)] + [0.0]
    lam_min, lam_max = -20.0, 20.0
    b = math.atan(math.exp(-lam_max / 2))
    a = math.atan(math.exp(-lam_min / 2)) - b
    u_of = lambda lam: (math.atan(math.exp(-lam / 2)) - b) / a  # noqa: E731
    u0, u1 = u_of(-2 * math.log(smax)), u_of(-2 * math.log(smin))
    out = [smax]
    for i in range(1, n):
        lam = -2 * math.log(math.tan(a * (u0 + (u1 - u0) * i / (n - 1)) + b))
        out.append(math.exp(-lam / 2))
    if n > 1:
        out[n - 1] = smin
    return out + [0.0]


def denoiser(model, prediction, guided):
    """The denoiser view D(x; sigma) of the guided output."""
    def d(x, sigma):
        x_vp = x / math.sqrt(1 + sigma * sigma)
        o = guided(x_vp, model.noise_input(sigma), sigma)
        if prediction == "eps":
            return x - sigma * o
        if prediction == "x0":
            return o
        return x / (1 + sigma * sigma) - sigma / math.sqrt(1 + sigma * sigma) * o
    return d


def dpmpp_2m(model, prediction, guided, sampler, noise):
    D = denoiser(model, prediction, guided)
    s = sigmas(sampler["grid"])
    x = noise(0) * s[0]
    old, h_last = None, None
    for i in range(len(s) - 1):
        d = D(x, s[i])
        if s[i + 1] == 0:
            x = d
        else:
            t, t_next = -math.log(s[i]), -math.log(s[i + 1])
            h = t_next - t
            if old is None:
                x = (s[i + 1] / s[i]) * x - math.expm1(-h) * d
            else:
                r = h_last / h
                d_d = (1 + 1 / (2 * r)) * d - (1 / (2 * r)) * old
                x = (s[i + 1] / s[i]) * x - math.expm1(-h) * d_d
            h_last = h
        old = d
    return x


def dpmpp_2m_sde(model, prediction, guided, sampler, noise):
    D = denoiser(model, prediction, guided)
    s = sigmas(sampler["grid"])
    eta, s_noise, solver = sampler["eta"], sampler["s_noise"], sampler["solver"]
    x = noise(0) * s[0]
    old, h_last = None, None
    for i in range(len(s) - 1):
        d = D(x, s[i])
        if s[i + 1] == 0:
            x = d
        else:
            h = -math.log(s[i + 1]) + math.log(s[i])
            eta_h = eta * h
            x = s[i + 1] / s[i] * math.exp(-eta_h) * x + (-math.expm1(-h - eta_h)) * d
            if old is not None:
                r = h_last / h
                if solver == "heun":
                    x = x + ((-math.expm1(-h - eta_h)) / (-h - eta_h) + 1) * (1 / r) * (d - old)
                else:
                    x = x + 0.5 * (-math.expm1(-h - eta_h)) * (1 / r) * (d - old)
            if eta:
                x = x + noise(1 + i) * s[i + 1] * math.sqrt(-math.expm1(-2 * eta_h)) * s_noise
            h_last = h
        old = d
    return x


def heun_sampler(model, prediction, guided, sampler, noise):
    D = denoiser(model, prediction, guided)
    s = sigmas(sampler["grid"])
    n = len(s) - 1
    x = noise(0) * s[0]
    for i in range(n):
        d_cur = (x - D(x, s[i])) / s[i]
        x_next = x + (s[i + 1] - s[i]) * d_cur
        if i < n - 1:
            d_prime = (x_next - D(x_next, s[i + 1])) / s[i + 1]
            x_next = x + (s[i + 1] - s[i]) * (0.5 * d_cur + 0.5 * d_prime)
        x = x_next
    return x


def ddim_sampler(model, prediction, guided, sampler, noise):
    d = admfx.Spaced(sampler["respacing"])
    x = noise(0)
    for i in reversed(range(d.steps())):
        sigma = d.sigma(i)
        o = guided(x, float(d.timestep_map[i]), sigma)
        a = d.abar[i]
        px, pg = {"eps": (math.sqrt(1 / a), -math.sqrt(1 / a - 1)), "x0": (0.0, 1.0),
                  "v": (math.sqrt(a), -math.sqrt(1 - a))}[prediction]
        x0 = px * x + pg * o
        eps = (d.sqrt_recip[i] * x - x0) / d.sqrt_recipm1[i]
        ap = d.abar_prev[i]
        x = x0 * math.sqrt(ap) + math.sqrt(1 - ap) * eps  # eta 0
    return x


LOOPS = {"dpmpp-2m": dpmpp_2m, "dpmpp-2m-sde": dpmpp_2m_sde, "heun": heun_sampler, "ddim": ddim_sampler}


# ---- fixtures ----------------------------------------------------------------------------------


def run(models, model_name, prediction, sampler, guidance, seed, dtype):
    model = models[(model_name, dtype)]
    shape = SHAPES[model_name]
    labels = LABELS[model_name]
    state = {}
    g = guided_output(model, prediction, guidance, labels, state)
    noise = lambda stream: admfx.noise(seed, stream, shape, dtype)  # noqa: E731
    return LOOPS[sampler["kind"]](model, prediction, g, sampler, noise), state


def nudged(guidance):
    """The guidance with its first parameter moved by 0.1%: how sensitive the sample is to it."""
    g = dict(guidance)
    if g["kind"] == "none":
        return None, None
    g["scale"] = g["scale"] * 1.001
    return g, "scale x 1.001"


def rel_l2(a, b):
    return float(torch.linalg.vector_norm(a.double() - b) / torch.linalg.vector_norm(b))


def main():
    p = argparse.ArgumentParser(description="write the DPM-Solver++ / guidance-variant golden fixtures")
    p.add_argument("--out", default=DEFAULT_OUT)
    args = p.parse_args()
    torch.set_num_threads(1)  # reductions in one fixed order: same bytes on every run
    assert philox.known_answers_ok()
    os.makedirs(args.out, exist_ok=True)
    models = {(n, dt): Model(n, dt) for n in (ADM, EDM2) for dt in (torch.float64, torch.float32)}
    cases = []
    for name, (model_name, prediction, sampler, guidance, seed) in CASES.items():
        exact, state = run(models, model_name, prediction, sampler, guidance, seed, torch.float64)
        single, _ = run(models, model_name, prediction, sampler, guidance, seed, torch.float32)
        meta = {
            "name": name, "model": model_name, "prediction": prediction, "sampler": sampler, "guidance": guidance,
            "labels": LABELS[model_name], "seed": seed, "expected": name + ".npy",
            "fp32_vs_fp64": rel_l2(single, exact),
            "rms": float(exact.pow(2).mean().sqrt()),
        }
        if "clipped" in state:
            meta["apg_clipped_evaluations"] = state["clipped"]  # samples x evaluations the threshold shrank
        g2, what = nudged(guidance)
        if g2 is not None:
            moved, _ = run(models, model_name, prediction, sampler, g2, seed, torch.float64)
            meta["sensitivity"] = {what: rel_l2(moved, exact)}
            # how far the guidance moves the sample at all (and, for an interval, how far from guiding everywhere)
            unguided, _ = run(models, model_name, prediction, sampler, NONE, seed, torch.float64)
            meta["sensitivity"]["unguided instead"] = rel_l2(unguided, exact)
            if "interval" in guidance:
                everywhere = {k: v for k, v in guidance.items() if k != "interval"}
                full, _ = run(models, model_name, prediction, sampler, everywhere, seed, torch.float64)
                meta["sensitivity"]["no interval"] = rel_l2(full, exact)
        np.save(os.path.join(args.out, name + ".npy"), exact.numpy())
        cases.append(meta)
        print(f"{name}: fp32 vs fp64 {meta['fp32_vs_fp64']:.2e}, rms {meta['rms']:.3g}"
              + (f", APG threshold active in {state['clipped']} sample-evaluations" if "clipped" in state else "")
              + ("".join(f", {k}: {v:.2e}" for k, v in meta.get("sensitivity", {}).items())))
    with open(os.path.join(args.out, "cases.json"), "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
