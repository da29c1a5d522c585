"""The 2-D toy of the autoguidance paper (Karras et al. 2024, "Guiding a Diffusion Model with a Bad
Version of Itself", EDM2's toy_example.py), written from its description for guidance4j:

- the ground truth: two classes (A, B), each a branching "fractal tree" of 2-D Gaussians, in
  float64 with its exact density, score and denoiser D(x; sigma) = x + sigma^2 grad log p(x; sigma)
  of the mixture blurred by N(0, sigma^2 I);
- ToyMlp: the small denoiser the Java side runs (org.guidance4j.toy.ToyMlp), a plain MLP under
  EDM preconditioning.

The tree (the same distribution as EDM2's, same seed and constants): a branch at depth d
(0..6) starts at `pos` with direction `angle`, has length L = 0.292 * 0.8^d * (1 + 0.2 n) and is
eight Gaussians evenly along it (t = 0.07 .. 0.93), each of weight L * 0.5^d, long axis along the
branch (std 0.06 L * scale per axis), cross-section thinner by thick = 0.2 * 0.8^d / L; it forks
into two children at its end, turned by +-0.7^d * (1 + 0.2 n). n are draws of one
np.random.RandomState(2) in depth-first order: a branch's own length, then for each child (+ first)
its angle, then that child's subtree. Class A grows from `origin` at 45 degrees, then class B at
225 degrees; coordinates are finally scaled per axis by `scale`.
"""

import numpy as np
import torch

ORIGIN = np.array([0.0030, 0.0325])
SCALE = np.array([1.3136, 1.3844])
SEED = 2
DEPTH = 7
PER_BRANCH = 8
SIGMA_DATA = 0.5


def components(seed=SEED):
    """All components of both classes, in generation order: list of (cls, weight, mean[2], cov[2,2])."""
    rnd = np.random.RandomState(seed)
    out = []

    def branch(cls, depth, pos, angle):
        if depth >= DEPTH:
            return
        u = np.array([np.cos(angle), np.sin(angle)])
        length = 0.292 * (0.8 ** depth) * (rnd.randn() * 0.2 + 1)
        thick = 0.2 * (0.8 ** depth) / length
        size = SCALE * length * 0.06
        along = np.outer(u, u)
        shape = along + (np.eye(2) - along) * thick ** 2
        for t in np.linspace(0.07, 0.93, num=PER_BRANCH):
            out.append((cls, length * 0.5 ** depth, (pos + u * length * t) * SCALE, shape * np.outer(size, size)))
        for sign in (1, -1):
            turn = sign * (0.7 ** depth) * (rnd.randn() * 0.2 + 1)
            branch(cls, depth + 1, pos + u * length, angle + turn)

    branch("A", 0, ORIGIN, np.pi * 0.25)
    branch("B", 0, ORIGIN, np.pi * 1.25)
    return out


class Mixture:
    """A weighted set of 2-D Gaussians (weights normalised), float64, for the classes named."""

    def __init__(self, classes="A", seed=SEED):
        sel = [c for c in components(seed) if c[0] in classes]
        w = np.array([c[1] for c in sel])
        self.weights = torch.tensor(w / w.sum(), dtype=torch.float64)
        self.means = torch.tensor(np.stack([c[2] for c in sel]), dtype=torch.float64)
        self.covs = torch.tensor(np.stack([c[3] for c in sel]), dtype=torch.float64)

    def _terms(self, x, sigma):
        """log(w_k N(x; mu_k, S_k + sigma^2 I)) [N, K] and inv(S_k') (mu_k - x) [N, K, 2]."""
        x = x.to(torch.float64)
        s2 = torch.as_tensor(sigma, dtype=torch.float64).broadcast_to(x.shape[:-1])[:, None] ** 2
        a = self.covs[None, :, 0, 0] + s2
        b = self.covs[None, :, 0, 1]
        d = self.covs[None, :, 1, 1] + s2
        det = a * d - b * b
        y = self.means[None] - x[:, None]  # [N, K, 2]
        z0 = (d * y[..., 0] - b * y[..., 1]) / det
        z1 = (a * y[..., 1] - b * y[..., 0]) / det
        quad = y[..., 0] * z0 + y[..., 1] * z1
        logc = torch.log(self.weights)[None] - np.log(2 * np.pi) - 0.5 * torch.log(det) - 0.5 * quad
        return logc, torch.stack([z0, z1], -1)

    def logp(self, x, sigma=0.0):
        logc, _ = self._terms(x, sigma)
        return torch.logsumexp(logc, -1)

    def score(self, x, sigma=0.0):
        logc, z = self._terms(x, sigma)
        r = torch.softmax(logc, -1)
        return (r[..., None] * z).sum(-2)

    def denoise(self, x, sigma):
        s = torch.as_tensor(sigma, dtype=torch.float64).broadcast_to(x.shape[:-1])[:, None]
        return x.to(torch.float64) + s ** 2 * self.score(x, sigma)

    def fast_denoiser(self, dtype=torch.float32):
        """A D(x; sigma) for training targets: the same math through each component's eigenbasis
        (S_k = Q_k diag(L_k) Q_k^T, so S_k + sigma^2 I has eigenvalues L_k + sigma^2), with the
        rotations as matrix products: a few times faster than denoise() in float32."""
        L, Q = torch.linalg.eigh(self.covs)  # [K, 2], [K, 2, 2]
        K = L.shape[0]
        rot = Q.permute(1, 0, 2).reshape(2, 2 * K).to(dtype)  # x @ rot = [Q_k^T x]_k
        back = Q.permute(0, 2, 1).reshape(2 * K, 2).to(dtype)  # sum_k Q_k v_k = v.flatten @ back
        mrot = torch.einsum("kij,ki->kj", Q, self.means).to(dtype)  # Q_k^T mu_k
        L = L.to(dtype)
        logw = torch.log(self.weights).to(dtype) - float(np.log(2 * np.pi))

        def denoise(x, sigma):
            x = x.to(dtype)
            s2 = torch.as_tensor(sigma, dtype=dtype).broadcast_to(x.shape[:-1])[:, None, None] ** 2
            y = mrot[None] - (x @ rot).reshape(-1, K, 2)  # Q_k^T (mu_k - x)
            lam = L[None] + s2  # [N, K, 2]
            v = y / lam
            logc = logw[None] - 0.5 * (torch.log(lam).sum(-1) + (y * v).sum(-1))
            r = torch.softmax(logc, -1)
            score = (r[..., None] * v).reshape(-1, 2 * K) @ back
            return x + s2[:, 0] * score

        return denoise

    def sample(self, n, sigma=0.0, generator=None):
        """n points of p(x; sigma) = the mixture convolved with N(0, sigma^2 I) (sigma: scalar or [n])."""
        k = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        chol = torch.linalg.cholesky(self.covs[k])
        e = torch.randn(n, 2, dtype=torch.float64, generator=generator)
        n2 = torch.randn(n, 2, dtype=torch.float64, generator=generator)
        s = torch.as_tensor(sigma, dtype=torch.float64).broadcast_to((n,))[:, None]
        return self.means[k] + (chol @ e[..., None])[..., 0] + s * n2


class ToyMlp(torch.nn.Module):
    """D(x; sigma) = c_skip x + c_out F([c_in x, ln(sigma)/4]), F: Linear(3, H), SiLU, then `layers` x
    (Linear(H, H), SiLU), Linear(H, 2). Keys: `layers.<i>.weight/.bias` for the hidden Linears (i = 0
    .. layers), `out.weight/.bias` for the last."""

    def __init__(self, hidden=64, layers=4, sigma_data=SIGMA_DATA):
        super().__init__()
        self.sigma_data = sigma_data
        self.layers = torch.nn.ModuleList([torch.nn.Linear(3, hidden)] + [torch.nn.Linear(hidden, hidden) for _ in range(layers)])
        self.out = torch.nn.Linear(hidden, 2)

    def forward(self, x, sigma):
        sigma = torch.as_tensor(sigma, dtype=x.dtype).broadcast_to(x.shape[:-1])[:, None]
        sd = self.sigma_data
        c_in = 1 / (sd ** 2 + sigma ** 2).sqrt()
        c_skip = sd ** 2 / (sigma ** 2 + sd ** 2)
        c_out = sigma * sd / (sigma ** 2 + sd ** 2).sqrt()
        h = torch.cat([c_in * x, sigma.log() / 4], -1)
        for lin in self.layers:
            h = torch.nn.functional.silu(lin(h))
        return c_skip * x + c_out * self.out(h)
