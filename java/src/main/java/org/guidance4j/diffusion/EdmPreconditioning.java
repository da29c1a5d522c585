package org.guidance4j.diffusion;

/**
 * EDM's preconditioning (Karras et al. 2022, Table 1; EDM2's Precond): a raw network F is wrapped
 * as D(x; sigma) = c_skip(sigma)·x + c_out(sigma)·F(c_in(sigma)·x; c_noise(sigma)), which keeps
 * the network's input and training target at unit variance for data of standard deviation
 * sigma_data.
 *
 * @param sigmaData the data's standard deviation (0.5 in EDM and EDM2)
 */
public record EdmPreconditioning(double sigmaData) {
  public static final EdmPreconditioning EDM2 = new EdmPreconditioning(0.5);

  public EdmPreconditioning {
    if (!(sigmaData > 0) || Double.isInfinite(sigmaData)) {
      throw new IllegalArgumentException("sigma_data must be positive and finite, got " + sigmaData);
    }
  }

  /** sigma_data² / (sigma² + sigma_data²). */
  public double cSkip(double sigma) {
    double sd2 = sigmaData * sigmaData;
    return sd2 / (sigma * sigma + sd2);
  }

  /** sigma·sigma_data / sqrt(sigma² + sigma_data²). */
  public double cOut(double sigma) {
    return sigma * sigmaData / Math.sqrt(sigma * sigma + sigmaData * sigmaData);
  }

  /** 1 / sqrt(sigma_data² + sigma²). */
  public double cIn(double sigma) {
    return 1 / Math.sqrt(sigmaData * sigmaData + sigma * sigma);
  }

  /** ln(sigma) / 4. */
  public double cNoise(double sigma) {
    return Math.log(sigma) / 4;
  }
}
