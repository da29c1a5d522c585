"""Golden values for org.guidance4j.diffusion.schedule, computed in float64 with numpy only.

An independent reference, written from the formulas of the papers and from the semantics of
openai/guided-diffusion (gaussian_diffusion.py, respace.py) and NVlabs/edm2 (generate_images.py):
  * beta schedules ("linear", "cosine"), respacing ("250", "ddim25", "10,10,5"), the derived
    per-timestep arrays of a diffusion;
  * one DDPM / DDIM step computed the way guided-diffusion structures it (x0 from the model output,
    clip, posterior mean or DDIM mean, classifier guidance by condition_mean / condition_score),
    on a few random elements ("probes"), so the Java side can check that its fused coefficients
    (px, pg, qx, q0, qn of g4j_guided_step) reproduce the original's arithmetic;
  * EDM sigma steps and stochastic churn, the sigma view of a discrete schedule, Ho & Salimans'
    log-SNR schedule.

Usage:  python3 tools/make_schedule_fixtures.py [out_dir]
        (default out_dir: java/src/test/resources/fixtures/schedules, relative to the repository)

Python's float repr round-trips exactly, so the JSON holds the float64 values bit for bit.
"""

import json
import math
import os
import sys

import numpy as np

# ---- beta schedules -----------------------------------------------------------------------------


def linear_betas(T):
    # Ho et al.'s 1e-4 .. 0.02 over 1000 steps, stretched so that other T keep the same total noise.
    scale = 1000 / T
    return np.linspace(scale * 0.0001, scale * 0.02, T, dtype=np.float64)


def cosine_betas(T, max_beta=0.999, s=0.008):
    def abar(u):
        return math.cos((u + s) / (1 + s) * math.pi / 2) ** 2

    return np.array([min(1 - abar((i + 1) / T) / abar(i / T), max_beta) for i in range(T)])


def named_betas(name, T):
    return {"linear": linear_betas, "cosine": cosine_betas}[name](T)


# ---- respacing ----------------------------------------------------------------------------------


def space_timesteps(T, spec):
    """The kept timesteps, sorted. Semantics of guided-diffusion's space_timesteps."""
    if spec.startswith("ddim"):
        want = int(spec[4:])
        # The smallest integer stride whose range(0, T, stride) has exactly `want` elements.
        for stride in range(1, T):
            if len(range(0, T, stride)) == want:
                return list(range(0, T, stride))
        raise ValueError(f"no integer stride gives {want} steps from {T}")
    counts = [int(c) for c in spec.split(",")]
    size_per, extra = divmod(T, len(counts))
    kept, start = [], 0
    for k, count in enumerate(counts):
        size = size_per + (1 if k < extra else 0)
        if size < count:
            raise ValueError(f"section of {size} steps cannot hold {count}")
        stride = 1 if count <= 1 else (size - 1) / (count - 1)
        pos = 0.0
        for _ in range(count):
            kept.append(start + round(pos))  # Python's round: half to even
            pos += stride  # accumulated, not multiplied, as the original does
        start += size
    return sorted(set(kept))


def respaced_betas(betas, kept):
    abar = np.cumprod(1.0 - betas)
    out, last = [], 1.0
    for i in kept:
        out.append(1 - abar[i] / last)
        last = abar[i]
    return np.array(out)


# ---- the derived arrays of one diffusion ---------------------------------------------------------


class Diffusion:
    def __init__(self, betas):
        b = np.asarray(betas, dtype=np.float64)
        self.betas = b
        self.abar = np.cumprod(1.0 - b)
        self.abar_prev = np.append(1.0, self.abar[:-1])
        self.sra = np.sqrt(1.0 / self.abar)
        self.srm1 = np.sqrt(1.0 / self.abar - 1)
        self.post_var = b * (1.0 - self.abar_prev) / (1.0 - self.abar)
        # The posterior variance is 0 at t = 0; its log uses the t = 1 value there.
        self.post_logvar = np.log(np.append(self.post_var[1], self.post_var[1:]))
        self.coef1 = b * np.sqrt(self.abar_prev) / (1.0 - self.abar)
        self.coef2 = (1.0 - self.abar_prev) * np.sqrt(1.0 - b) / (1.0 - self.abar)
        self.large_var = np.append(self.post_var[1], b[1:])

    def fixed_var(self, kind, t):
        """(variance, log variance) of a fixed variance type."""
        if kind == "fixed_small":
            return self.post_var[t], self.post_logvar[t]
        return self.large_var[t], math.log(self.large_var[t])

    def x0(self, pred, t, x, out):
        if pred == "eps":
            return self.sra[t] * x - self.srm1[t] * out
        if pred == "x0":
            return out.copy()
        # v = sqrt(abar) eps - sqrt(1 - abar) x0  (Salimans & Ho 2022)
        return math.sqrt(self.abar[t]) * x - math.sqrt(1 - self.abar[t]) * out

    def eps_from_x0(self, t, x, x0):
        return (self.sra[t] * x - x0) / self.srm1[t]

    def ddim_sigma(self, t, eta):
        a, ap = self.abar[t], self.abar_prev[t]
        return eta * math.sqrt((1 - ap) / (1 - a)) * math.sqrt(1 - a / ap)


# ---- steps the way guided-diffusion structures them --------------------------------------------


def ddpm_probe(d, t, pred, var, clip, x, out, v, z, grad):
    x0 = d.x0(pred, t, x, out)
    if clip:
        x0 = np.clip(x0, -1, 1)
    mean = d.coef1[t] * x0 + d.coef2[t] * x
    if var == "learned_range":
        min_log, max_log = d.post_logvar[t], math.log(d.betas[t])
        frac = (v + 1) / 2
        logvar = frac * max_log + (1 - frac) * min_log
        variance = np.exp(logvar)
    else:
        variance, logvar = d.fixed_var(var, t)
    mask = 0.0 if t == 0 else 1.0
    sample = mean + mask * np.exp(0.5 * logvar) * z
    guided = mean + variance * grad + mask * np.exp(0.5 * logvar) * z  # condition_mean
    return sample, guided


def ddim_probe(d, t, pred, eta, clip, x, out, z, grad):
    x0 = d.x0(pred, t, x, out)
    if clip:
        x0 = np.clip(x0, -1, 1)
    sigma = d.ddim_sigma(t, eta)
    mask = 0.0 if t == 0 else 1.0
    ap = d.abar_prev[t]

    def step(x0):
        eps = d.eps_from_x0(t, x, x0)
        return x0 * math.sqrt(ap) + math.sqrt(1 - ap - sigma**2) * eps + mask * sigma * z

    # condition_score: eps from the clipped x0, shifted, x0 recomputed and not clipped again.
    eps = d.eps_from_x0(t, x, x0) - math.sqrt(1 - d.abar[t]) * grad
    x0_guided = d.sra[t] * x - d.srm1[t] * eps
    return step(x0), step(x0_guided)


# ---- the same steps as coefficients of the fused update ------------------------------------------
#   x0 = px*x + pg*out (then clipped);  sample = qx*x + q0*x0 + qn*std*z


def x0_coefficients(d, pred, t):
    if pred == "eps":
        return d.sra[t], -d.srm1[t]
    if pred == "x0":
        return 0.0, 1.0
    return math.sqrt(d.abar[t]), -math.sqrt(1 - d.abar[t])


def ddpm_coefficients(d, t, var):
    if t == 0:
        qn = 0.0
    elif var == "learned_range":
        qn = 1.0  # the per-element std carries the scale
    else:
        qn = math.exp(0.5 * d.fixed_var(var, t)[1])
    return d.coef2[t], d.coef1[t], qn


def ddim_coefficients(d, t, eta):
    # Substituting eps = (sra*x - x0)/srm1 into the DDIM mean.
    sigma = d.ddim_sigma(t, eta)
    c = math.sqrt(max(0.0, 1 - d.abar_prev[t] - sigma**2))
    qx = c * d.sra[t] / d.srm1[t]
    q0 = math.sqrt(d.abar_prev[t]) - c / d.srm1[t]
    return qx, q0, 0.0 if t == 0 else sigma


# ---- EDM -----------------------------------------------------------------------------------------


def edm_sigmas(n, smin=0.002, smax=80.0, rho=7.0):
    if n == 1:
        return [smax, 0.0]
    i = np.arange(n, dtype=np.float64)
    s = (smax ** (1 / rho) + i / (n - 1) * (smin ** (1 / rho) - smax ** (1 / rho))) ** rho
    return list(s) + [0.0]


def edm_churn(sigmas, n, churn, smin, smax, snoise):
    rows = []
    for s in sigmas[:-1]:
        gamma = min(churn / n, math.sqrt(2) - 1) if churn > 0 and smin <= s <= smax else 0.0
        s_hat = s + gamma * s
        rows.append({"sigma": s, "gamma": gamma, "sigma_hat": s_hat,
                     "noise_std": math.sqrt(s_hat**2 - s**2) * snoise})
    return rows


def nearest_t(sig, sigma):
    return int(np.argmin(np.abs(sig - sigma)))  # first index on ties


def fractional_t(sig, sigma):
    """Linear in log sigma between the two neighbouring discrete timesteps, clamped to [0, T-1]."""
    ls, q = np.log(sig), math.log(sigma)
    lo = min(max(int(np.sum(ls <= q)) - 1, 0), len(sig) - 2)
    w = (ls[lo] - q) / (ls[lo] - ls[lo + 1])
    w = min(max(w, 0.0), 1.0)
    return (1 - w) * lo + w * (lo + 1)


def sigma_at(sig, t):
    lo = int(math.floor(t))
    hi = min(lo + 1, len(sig) - 1)
    w = t - lo
    return math.exp((1 - w) * math.log(sig[lo]) + w * math.log(sig[hi]))


# ---- Ho & Salimans log-SNR -----------------------------------------------------------------------


def log_snr(u, lmin=-20.0, lmax=20.0):
    b = math.atan(math.exp(-lmax / 2))
    a = math.atan(math.exp(-lmin / 2)) - b
    return -2 * math.log(math.tan(a * u + b)), a, b


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


# ---- fixture assembly ----------------------------------------------------------------------------


def floats(a):
    return [float(v) for v in a]


def sample_ts(T):
    return sorted({0, 1, 2, T // 3, T // 2, T - 2, T - 1})


def make_betas():
    out = {}
    for name in ("linear", "cosine"):
        for T in (1000, 50, 10, 2):
            out[f"{name}_{T}"] = floats(named_betas(name, T))
    return out


def make_respacing():
    cases = []
    for T, specs in ((1000, ("250", "ddim25", "ddim50", "10,10,5", "100", "ddim7", "1000")),
                     (50, ("10,10,5", "ddim10", "7", "3,4")),
                     (10, ("ddim5", "3,2", "4", "10"))):
        # linear betas pass 1 for T < 20 (20 / T at the end): no diffusion exists there.
        for name in ("linear", "cosine") if T >= 20 else ("cosine",):
            betas = named_betas(name, T)
            for spec in specs:
                if spec == str(T) and name == "cosine":
                    continue  # the identity respacing once is enough
                kept = space_timesteps(T, spec)
                cases.append({"schedule": name, "T": T, "spec": spec, "use_timesteps": kept,
                              "betas": floats(respaced_betas(betas, kept))})
    return cases


DIFFUSIONS = (("linear", 1000, ""), ("cosine", 1000, "ddim25"), ("linear", 1000, "250"),
              ("cosine", 1000, "10,10,5"), ("linear", 50, "10,10,5"), ("cosine", 10, ""))


STEP_DIFFUSIONS = (("linear", 1000, ""), ("cosine", 1000, "ddim25"), ("linear", 50, "10,10,5"),
                   ("cosine", 10, ""))


def diffusion_betas(name, T, spec):
    # An empty spec keeps every step but still goes through respacing, as guided-diffusion's
    # create_gaussian_diffusion does: 1 - abar_t / abar_{t-1} is beta_t only to rounding.
    kept = space_timesteps(T, spec or str(T))
    return respaced_betas(named_betas(name, T), kept)


def make_arrays():
    cases = []
    for name, T, spec in DIFFUSIONS:
        d = Diffusion(diffusion_betas(name, T, spec))
        ts = sample_ts(len(d.betas))
        cases.append({
            "schedule": name, "T": T, "spec": spec, "t": ts,
            "alphas_cumprod": floats(d.abar[ts]),
            "alphas_cumprod_prev": floats(d.abar_prev[ts]),
            "sqrt_recip_alphas_cumprod": floats(d.sra[ts]),
            "sqrt_recipm1_alphas_cumprod": floats(d.srm1[ts]),
            "posterior_variance": floats(d.post_var[ts]),
            "posterior_log_variance_clipped": floats(d.post_logvar[ts]),
            "posterior_mean_coef1": floats(d.coef1[ts]),
            "posterior_mean_coef2": floats(d.coef2[ts]),
            "fixed_large_variance": floats(d.large_var[ts]),
            "sigma": floats(np.sqrt((1 - d.abar[ts]) / d.abar[ts])),
        })
    return cases


def make_steps(rng):
    """One group per (diffusion, t, prediction): shared random inputs, then every DDPM variance
    type and every DDIM eta, each with and without clipping, plain and classifier-guided."""
    groups = []
    n = 4
    for name, T, spec in STEP_DIFFUSIONS:
        d = Diffusion(diffusion_betas(name, T, spec))
        steps = len(d.betas)
        for t in sorted({0, 1, steps // 2, steps - 2, steps - 1}):
            for pred in ("eps", "x0", "v"):
                # Inputs wide enough that clipping bites on some elements and not on others.
                x = rng.normal(size=n) * (1 + d.srm1[t])
                out = rng.normal(size=n) * (0.6 if pred == "x0" else 1.0)
                v = rng.uniform(-1, 1, size=n)
                z = rng.normal(size=n)
                grad = rng.normal(size=n)
                px, pg = x0_coefficients(d, pred, t)
                group = {"schedule": name, "T": T, "spec": spec, "t": t, "pred": pred,
                         "px": float(px), "pg": float(pg),
                         "score_eps_factor": math.sqrt(1 - d.abar[t]),
                         "score_x0_factor": float(d.srm1[t]) * math.sqrt(1 - d.abar[t]),
                         "x": floats(x), "out": floats(out), "v": floats(v), "z": floats(z),
                         "grad": floats(grad), "ddpm": [], "ddim": []}
                for var in ("fixed_small", "fixed_large", "learned_range"):
                    case = {"var": var}
                    case["qx"], case["q0"], case["qn"] = map(float, ddpm_coefficients(d, t, var))
                    if var != "learned_range":
                        case["variance"], case["log_variance"] = map(float, d.fixed_var(var, t))
                    else:
                        case["min_log"] = float(d.post_logvar[t])
                        case["max_log"] = math.log(d.betas[t])
                    for clip in (False, True):
                        sample, guided = ddpm_probe(d, t, pred, var, clip, x, out, v, z, grad)
                        key = "clip" if clip else "noclip"
                        case[key] = floats(sample)
                        case[key + "_guided"] = floats(guided)
                    group["ddpm"].append(case)
                for eta in (0.0, 0.5, 1.0):
                    case = {"eta": eta, "sigma": d.ddim_sigma(t, eta)}
                    case["qx"], case["q0"], case["qn"] = map(float, ddim_coefficients(d, t, eta))
                    for clip in (False, True):
                        sample, guided = ddim_probe(d, t, pred, eta, clip, x, out, z, grad)
                        key = "clip" if clip else "noclip"
                        case[key] = floats(sample)
                        case[key + "_guided"] = floats(guided)
                    group["ddim"].append(case)
                groups.append(group)
    return groups


def make_edm():
    out = {"sigmas": [], "churn": []}
    for n, smin, smax, rho in ((32, 0.002, 80.0, 7.0), (18, 0.002, 80.0, 7.0),
                               (5, 0.02, 10.0, 3.0), (1, 0.002, 80.0, 7.0), (2, 0.002, 80.0, 7.0)):
        out["sigmas"].append({"steps": n, "sigma_min": smin, "sigma_max": smax, "rho": rho,
                              "sigmas": floats(edm_sigmas(n, smin, smax, rho))})
    # EDM (2022) ImageNet-64 stochastic settings, EDM2's defaults (no churn), and a capped gamma.
    for n, churn, smin, smax, snoise in ((64, 40.0, 0.05, 50.0, 1.003), (32, 0.0, 0.0, None, 1.0),
                                         (18, 80.0, 0.0, None, 1.0), (32, 5.0, 0.1, 10.0, 1.007)):
        sig = edm_sigmas(n)
        s_max = math.inf if smax is None else smax
        rows = edm_churn(sig, n, churn, smin, s_max, snoise)
        out["churn"].append({"steps": n, "S_churn": churn, "S_min": smin, "S_max": smax,
                             "S_noise": snoise, "rows": rows})
    return out


def make_discrete_sigmas():
    cases = []
    for name, T in (("linear", 1000), ("cosine", 1000), ("cosine", 10)):
        d = Diffusion(named_betas(name, T))
        sig = np.sqrt((1 - d.abar) / d.abar)
        queries = sorted({float(sig[0]) * 0.5, float(sig[0]), float(sig[-1]), float(sig[-1]) * 2,
                          0.002, 0.1, 0.5, 1.0, 3.7, 14.6, 80.0,
                          float(0.5 * (sig[T // 2] + sig[T // 2 + 1]))})
        ts = [0.0, 0.25, 1.5, T / 3, T - 1.5, T - 1.0]
        cases.append({"schedule": name, "T": T, "queries": queries,
                      "nearest": [nearest_t(sig, q) for q in queries],
                      "fractional": [fractional_t(sig, q) for q in queries],
                      "t": ts, "sigma_at": [sigma_at(sig, t) for t in ts]})
    return cases


def make_log_snr():
    us = [0.0, 1e-6, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0]
    rows = []
    for u in us:
        lam = log_snr(u)[0]
        rows.append({"u": u, "lambda": lam, "alpha2": sigmoid(lam), "sigma2": sigmoid(-lam),
                     "edm_sigma": math.exp(-lam / 2)})
    _, a, b = log_snr(0.0)
    return {"lambda_min": -20.0, "lambda_max": 20.0, "a": a, "b": b, "rows": rows}


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        root, "java", "src", "test", "resources", "fixtures", "schedules")
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(20240611)
    files = {
        "betas.json": make_betas(),
        "respacing.json": make_respacing(),
        "arrays.json": make_arrays(),
        "steps.json": make_steps(rng),
        "edm.json": make_edm(),
        "discrete_sigmas.json": make_discrete_sigmas(),
        "log_snr.json": make_log_snr(),
    }
    for name, data in files.items():
        with open(os.path.join(out_dir, name), "w") as f:
            json.dump(data, f, separators=(",", ":"), allow_nan=False)
            f.write("\n")
        print(f"{name}: {os.path.getsize(os.path.join(out_dir, name))} bytes")


if __name__ == "__main__":
    main()
