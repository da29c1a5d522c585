"""Independent float64 NumPy runs behind the Gaussian-mixture tests of DPM-Solver++ and the guidance
variants (java/src/test/java/org/guidance4j/mixture/VariantMixtureTest.java): the test mixture of
Mixtures.fourInTwoClasses, its exact denoiser D(x; sigma) = E[y | x] (class views), and the loops
written from k-diffusion's sample_dpmpp_2m / sample_dpmpp_2m_sde and EDM's Heun, with CFG, CFG
rescale, APG and a "perturbed" model (the broadened mixture, the stand-in for PAG's perturbed
attention). Prints the statistics the tests compare, at a large N so that their sampling error is
small against the tests' standard errors:

    /usr/bin/python3 tools/mixture_variant_check.py [--n 40000]

It prints, for DPM-Solver++ 2M (25 steps) and 2M SDE (40 steps), the largest deviation of masses,
means and covariances from the exact mixture in units of the standard error of a 4000-sample
estimate; and for the guidance variants the trend statistics (class fractions, mean norms,
distances to the nearest mode) the trend tests assert.
"""

import argparse
import math

import numpy as np

R8 = math.sqrt(8)
U = np.array([1, 1, 1, 1, -1, -1, -1, -1]) / R8
V = np.array([1, -1, 1, -1, 1, -1, 1, -1]) / R8
ALONG = [(-1.0, 0.3), (-0.1, -0.1), (0.1, 0.1), (1.0, -0.3)]
MEANS = np.array([a * U + b * V for a, b in ALONG])
STDS = np.array([[0.2] * 8, [0.3] * 4 + [0.2] * 4, [0.25] * 8, [0.2, 0.3] * 4])
WEIGHTS = np.array([0.2, 0.3, 0.35, 0.15])
CLASS = np.array([0, 0, 1, 1])
# sigma_0 of guided-diffusion's linear 1000-step schedule (beta_0 = 1e-4), as the Java tests use
SIGMA_MIN = math.sqrt(1e-4 / (1 - 1e-4))


def view(label, stds=STDS):
    w = WEIGHTS * (CLASS == label) if label >= 0 else WEIGHTS
    return w, stds


def denoise(x, sigma, labels, broaden=1.0):
    """E[y | x] for x = y + sigma n, per row, under the class view of each row's label (-1: all)."""
    stds = STDS * broaden
    out = np.zeros_like(x)
    for label in np.unique(labels):
        rows = labels == label
        w, _ = view(label)
        var = stds ** 2 + sigma ** 2  # (K, D)
        xr = x[rows][:, None, :]  # (n, 1, D)
        logp = np.log(np.where(w > 0, w, 1e-300))[None, :] - 0.5 * (
            ((xr - MEANS[None]) ** 2) / var[None] + np.log(2 * math.pi * var[None])).sum(-1)
        logp[:, w == 0] = -np.inf
        logp -= logp.max(axis=1, keepdims=True)
        r = np.exp(logp)
        r /= r.sum(axis=1, keepdims=True)
        post = MEANS[None] + (stds ** 2 / var)[None] * (xr - MEANS[None])
        out[rows] = (r[:, :, None] * post).sum(1)
    return out


def karras(n, smin=SIGMA_MIN, smax=80.0, rho=7.0):
    top, bottom = smax ** (1 / rho), smin ** (1 / rho)
    return [(top + i / (n - 1) * (bottom - top)) ** rho for i in range(n)] + [0.0]


def dpmpp(D, x, sigmas, rng, eta=0.0):
    old, h_last = None, None
    for i in range(len(sigmas) - 1):
        s, s1 = sigmas[i], sigmas[i + 1]
        d = D(x, s)
        if s1 == 0:
            x = d
        else:
            h = math.log(s) - math.log(s1)
            q = -math.expm1(-h - eta * h)
            x = s1 / s * math.exp(-eta * h) * x + q * d
            if old is not None:
                x = x + 0.5 * q / (h_last / h) * (d - old)  # midpoint, r = h_last / h
            if eta:
                x = x + rng.standard_normal(x.shape) * s1 * math.sqrt(-math.expm1(-2 * eta * h))
            h_last = h
        old = d
    return x


def heun(D, x, sigmas):
    n = len(sigmas) - 1
    for i in range(n):
        s, s1 = sigmas[i], sigmas[i + 1]
        dc = (x - D(x, s)) / s
        xn = x + (s1 - s) * dc
        if i < n - 1:
            dp = (xn - D(xn, s1)) / s1
            xn = x + (s1 - s) * 0.5 * (dc + dp)
        x = xn
    return x


def responsibilities(x, label):
    w, _ = view(label)
    var = STDS ** 2
    logp = np.log(np.where(w > 0, w, 1e-300))[None] - 0.5 * (
        ((x[:, None, :] - MEANS[None]) ** 2) / var[None] + np.log(2 * math.pi * var[None])).sum(-1)
    logp[:, w == 0] = -np.inf
    logp -= logp.max(axis=1, keepdims=True)
    r = np.exp(logp)
    return r / r.sum(axis=1, keepdims=True)


def worst_se(x, label, n_test=4000):
    """Largest |estimate - exact| over masses, means and covariances, in SE(n_test) units."""
    w, _ = view(label)
    w = w / w.sum()
    r = responsibilities(x, label)
    dev = []
    for k in range(4):
        if w[k] > 0:
            dev.append(abs(r[:, k].mean() - w[k]) / (r[:, k].std() / math.sqrt(n_test)))
    mu = (w[:, None] * MEANS).sum(0)
    for d in range(8):
        dev.append(abs(x[:, d].mean() - mu[d]) / (x[:, d].std() / math.sqrt(n_test)))
    cov = np.zeros((8, 8))
    for k in range(4):
        cov += w[k] * (np.diag(STDS[k] ** 2) + np.outer(MEANS[k] - mu, MEANS[k] - mu))
    xc = x - x.mean(0)
    for i in range(8):
        for j in range(i, 8):
            p = xc[:, i] * xc[:, j]
            dev.append(abs(p.mean() - cov[i, j]) / (p.std() / math.sqrt(n_test)))
    return max(dev)


def nearest_class(x):
    d = ((x[:, None, :] - MEANS[None]) ** 2).sum(-1)
    return CLASS[d.argmin(1)], np.sqrt(d.min(1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=40000)
    a = p.parse_args()
    rng = np.random.default_rng(7)
    n = a.n
    for label in (0, 1, -1):
        labels = np.full(n, label)
        D = lambda x, s: denoise(x, s, labels)  # noqa: E731
        for name, sampler in (("dpmpp-2m 25", lambda x0: dpmpp(D, x0 * 80, karras(25), rng)),
                              ("dpmpp-2m-sde 40", lambda x0: dpmpp(D, x0 * 80, karras(40), rng, eta=1.0))):
            x = sampler(rng.standard_normal((n, 8)))
            print(f"{name}, class {label}: worst deviation {worst_se(x, label):.2f} SE(4000)")

    # guidance variants: two classes alternating, Heun 32 steps
    labels = np.arange(n) % 2
    null = np.full(n, -1)

    def run(guided):
        x = rng.standard_normal((n, 8)) * 80
        return heun(guided, x, karras(32))

    def cfg(gamma):
        return lambda x, s: denoise(x, s, null) + gamma * (denoise(x, s, labels) - denoise(x, s, null))

    def rescaled(gamma, phi):
        def g(x, s):
            # on eps = (x - D) / s, as the library's eps models see it, then back to D
            c = (x - denoise(x, s, labels)) / s
            u = (x - denoise(x, s, null)) / s
            e = u + gamma * (c - u)
            f = phi * c.std(1, ddof=1, keepdims=True) / e.std(1, ddof=1, keepdims=True) + (1 - phi)
            return x - s * f * e
        return g

    def apg(w, eta):
        def g(x, s):
            dc, du = denoise(x, s, labels), denoise(x, s, null)
            diff = dc - du
            unit = dc / np.linalg.norm(dc, axis=1, keepdims=True)
            par = (diff * unit).sum(1, keepdims=True) * unit
            return dc + (w - 1) * ((diff - par) + eta * par)
        return g

    def pag(s_pag):
        return lambda x, s: denoise(x, s, labels) + s_pag * (denoise(x, s, labels) - denoise(x, s, labels, 1.5))

    def report(name, x):
        cls, dist = nearest_class(x)
        frac = (cls == labels).mean()
        norm = np.linalg.norm(x, axis=1).mean()
        print(f"{name}: fraction of the requested class {frac:.4f}, mean norm {norm:.4f}, "
              f"mean distance to the nearest mode {dist.mean():.4f}")

    for gamma in (1, 4):
        report(f"cfg {gamma}", run(cfg(gamma)))
    for phi in (0.5, 1.0):
        report(f"cfg 4 rescale {phi}", run(rescaled(4, phi)))
    for w, eta in ((2, 0.0), (4, 0.0), (4, 1.0)):
        report(f"apg {w} eta {eta}", run(apg(w, eta)))
    for s_pag in (0, 1, 2):
        report(f"pag {s_pag} (broadened 1.5)", run(pag(s_pag)))


if __name__ == "__main__":
    main()
