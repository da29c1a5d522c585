"""Golden values for the Java toy tests (org.guidance4j.toy), from tools/toy_reference.py.

  java/src/test/resources/fixtures/toy/mixture.json  NumPy's RandomState(2).randn() draws, component
      counts, a few components of class A, B and AB (normalised weight, mean, covariance), and the
      exact log-density, score and denoiser at a few points and noise levels (float64)
  java/src/test/resources/fixtures/toy/mlp.json      ToyMlp outputs D(x; sigma) of each shipped model
      in models/toy (float32 PyTorch) on fixed random inputs

  /usr/bin/python3 tools/make_toy_fixtures.py [--models models/toy]
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert_guided_diffusion import read_safetensors  # noqa: E402
import toy_reference as ref  # noqa: E402

OUT = os.path.join("java", "src", "test", "resources", "fixtures", "toy")
PICKS = [0, 1, 7, 8, 9, 100, 517, 1000, 1015]


def mixture_fixture():
    rnd = np.random.RandomState(ref.SEED)
    doc = {"randn_seed2": [float(v) for v in rnd.randn(9)], "mixtures": {}}
    g = torch.Generator().manual_seed(7)
    for cls in ("A", "B", "AB"):
        m = ref.Mixture(cls)
        comps = []
        for k in PICKS + ([1016, 2031] if cls == "AB" else []):
            comps.append({"index": k, "weight": float(m.weights[k]), "mean": m.means[k].tolist(),
                          "cov": [float(m.covs[k, 0, 0]), float(m.covs[k, 0, 1]), float(m.covs[k, 1, 1])]})
        # points near the distribution (its own samples) and far from it
        x = torch.cat([m.sample(6, 0.0, generator=g), torch.rand(4, 2, dtype=torch.float64, generator=g) * 4 - 2])
        evals = []
        for sigma in (0.0, 0.01, 0.2, 1.0, 5.0):
            lp = m.logp(x, sigma)
            sc = m.score(x, sigma)
            dn = m.denoise(x, sigma) if sigma > 0 else x
            for i in range(len(x)):
                evals.append({"x": x[i].tolist(), "sigma": sigma, "logp": float(lp[i]), "score": sc[i].tolist(), "denoise": dn[i].tolist()})
        doc["mixtures"][cls] = {"components": m.means.shape[0], "picked": comps, "evals": evals}
    return doc


def mlp_fixture(models):
    doc = {}
    g = torch.Generator().manual_seed(11)
    x = torch.randn(7, 2, generator=g) * 1.5
    sigma = torch.tensor([0.002, 0.01, 0.05, 0.3, 1.0, 2.5, 5.0])
    for name in sorted(os.listdir(models)) if os.path.isdir(models) else []:
        d = os.path.join(models, name)
        if not os.path.isfile(os.path.join(d, "config.json")):
            continue
        with open(os.path.join(d, "config.json")) as f:
            cfg = json.load(f)
        net = ref.ToyMlp(cfg["hidden"], cfg["layers"], cfg["sigma_data"])
        sd, _ = read_safetensors(os.path.join(d, "model.safetensors"))
        net.load_state_dict(sd)
        with torch.no_grad():
            out = net(x, sigma)
        doc[name] = {"x": x.tolist(), "sigma": sigma.tolist(), "denoise": out.tolist()}
    return doc


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default=os.path.join("models", "toy"))
    args = p.parse_args()
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "mixture.json"), "w") as f:
        json.dump(mixture_fixture(), f, indent=1)
    with open(os.path.join(OUT, "mlp.json"), "w") as f:
        json.dump(mlp_fixture(args.models), f, indent=1)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
