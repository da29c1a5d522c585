package org.guidance4j.diffusion.schedule;

/**
 * The per-timestep quantities of a discrete variance-preserving diffusion over one betas array
 * (guided-diffusion's {@code GaussianDiffusion}), all in float64 with the original's arithmetic,
 * index t = 0..T-1 where t = 0 is the least noisy step.
 *
 * <p>q(x_t | x_0) = N(sqrt(abar_t)·x_0, (1 − abar_t)·I), abar_t = prod_{s<=t} (1 − beta_s); the
 * posterior q(x_{t−1} | x_t, x_0) has mean coef1_t·x_0 + coef2_t·x_t and variance
 * btilde_t = beta_t·(1 − abar_{t−1})/(1 − abar_t).
 *
 * <p>For a respaced sampler build this over {@link Respacing#betas()}: t is then the spaced index.
 */
public final class DiscreteDiffusion {
  private final double[] betas;
  private final double[] alphasCumprod;
  private final double[] alphasCumprodPrev;
  private final double[] sqrtRecipAlphasCumprod;
  private final double[] sqrtRecipm1AlphasCumprod;
  private final double[] posteriorVariance;
  private final double[] posteriorLogVarianceClipped;
  private final double[] posteriorMeanCoef1;
  private final double[] posteriorMeanCoef2;

  /** A diffusion over {@code betas}: at least 2 (t = 0 borrows from t = 1), each in (0, 1]. */
  public DiscreteDiffusion(double[] betas) {
    int n = betas.length;
    if (n < 2) {
      throw new IllegalArgumentException("a diffusion needs at least 2 betas, got " + n);
    }
    for (int t = 0; t < n; t++) {
      if (!(betas[t] > 0 && betas[t] <= 1)) {
        throw new IllegalArgumentException(
            "betas must lie in (0, 1], got beta[" + t + "] = " + betas[t]);
      }
    }
    this.betas = betas.clone();
    alphasCumprod = new double[n];
    alphasCumprodPrev = new double[n];
    sqrtRecipAlphasCumprod = new double[n];
    sqrtRecipm1AlphasCumprod = new double[n];
    posteriorVariance = new double[n];
    posteriorLogVarianceClipped = new double[n];
    posteriorMeanCoef1 = new double[n];
    posteriorMeanCoef2 = new double[n];
    double abar = 1.0;
    for (int t = 0; t < n; t++) {
      double beta = betas[t];
      double alpha = 1.0 - beta;
      double abarPrev = abar;
      abar *= alpha;
      alphasCumprod[t] = abar;
      alphasCumprodPrev[t] = abarPrev;
      sqrtRecipAlphasCumprod[t] = Math.sqrt(1.0 / abar);
      sqrtRecipm1AlphasCumprod[t] = Math.sqrt(1.0 / abar - 1);
      posteriorVariance[t] = beta * (1.0 - abarPrev) / (1.0 - abar);
      posteriorMeanCoef1[t] = beta * Math.sqrt(abarPrev) / (1.0 - abar);
      posteriorMeanCoef2[t] = (1.0 - abarPrev) * Math.sqrt(alpha) / (1.0 - abar);
    }
    // btilde_0 = 0: its log would be -inf, so t = 0 uses btilde_1 as guided-diffusion does.
    for (int t = 0; t < n; t++) {
      posteriorLogVarianceClipped[t] = Math.log(posteriorVariance[t == 0 ? 1 : t]);
    }
  }

  /** T: the number of steps. */
  public int steps() {
    return betas.length;
  }

  public double[] betas() {
    return betas.clone();
  }

  public double beta(int t) {
    return betas[t];
  }

  /** abar_t = prod_{s<=t} (1 − beta_s). */
  public double alphaCumprod(int t) {
    return alphasCumprod[t];
  }

  /** abar_{t−1}, 1 at t = 0. */
  public double alphaCumprodPrev(int t) {
    return alphasCumprodPrev[t];
  }

  /** sqrt(1/abar_t): the weight of x_t in x_0 = sqrt(1/abar_t)·x_t − sqrt(1/abar_t − 1)·eps. */
  public double sqrtRecipAlphaCumprod(int t) {
    return sqrtRecipAlphasCumprod[t];
  }

  /** sqrt(1/abar_t − 1): the weight of eps in the x_0 prediction (and the VP view's sigma). */
  public double sqrtRecipm1AlphaCumprod(int t) {
    return sqrtRecipm1AlphasCumprod[t];
  }

  /** btilde_t = beta_t·(1 − abar_{t−1})/(1 − abar_t); 0 at t = 0. */
  public double posteriorVariance(int t) {
    return posteriorVariance[t];
  }

  /** log btilde_t, with btilde_1 standing in at t = 0. */
  public double posteriorLogVarianceClipped(int t) {
    return posteriorLogVarianceClipped[t];
  }

  /** The weight of x_0 in the posterior mean: beta_t·sqrt(abar_{t−1})/(1 − abar_t). */
  public double posteriorMeanCoef1(int t) {
    return posteriorMeanCoef1[t];
  }

  /** The weight of x_t in the posterior mean: (1 − abar_{t−1})·sqrt(alpha_t)/(1 − abar_t). */
  public double posteriorMeanCoef2(int t) {
    return posteriorMeanCoef2[t];
  }

  /**
   * sigma_t = sqrt((1 − abar_t)/abar_t): the noise level of step t in the EDM view, where
   * x_EDM = x_t/sqrt(abar_t) = x_0 + sigma_t·eps.
   */
  public double sigma(int t) {
    double abar = alphasCumprod[t];
    return Math.sqrt((1 - abar) / abar);
  }

  /** log-SNR of step t: log(abar_t/(1 − abar_t)) = −2·log sigma_t. */
  public double logSnr(int t) {
    double abar = alphasCumprod[t];
    return Math.log(abar / (1 - abar));
  }
}
