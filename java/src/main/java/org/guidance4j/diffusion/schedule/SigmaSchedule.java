package org.guidance4j.diffusion.schedule;

/**
 * The decreasing noise levels a continuous-time sampler visits: sigma_0 > ... > sigma_{N-1} > 0,
 * then sigma_N = 0 (EDM's x = y + sigma n). {@link EdmSchedule} (Karras's rho-warped grid) and
 * {@link LogSnrSigmas} (uniform in the time of Ho & Salimans' log-SNR schedule).
 */
public interface SigmaSchedule {
  /** N + 1 values, decreasing, the last one 0. */
  double[] sigmas();

  /** N, the number of denoiser steps. */
  int steps();

  double sigmaMin();

  double sigmaMax();

  /** One line for logs, e.g. "edm(sigma 0.002..80, rho=7)". */
  String describe();
}
