package org.guidance4j.diffusion.schedule;

/**
 * Ho & Salimans' continuous-time schedule (Classifier-Free Diffusion Guidance, 2021, after
 * Kingma et al.'s cosine form): lambda(u) = −2·log tan(a·u + b) for u in [0, 1], with
 * b = arctan(exp(−lambda_max/2)) and a = arctan(exp(−lambda_min/2)) − b, so lambda(0) = lambda_max
 * (clean) and lambda(1) = lambda_min (noise). lambda = log(alpha²/sigma²) with alpha² + sigma² = 1:
 * alpha² = sigmoid(lambda), sigma² = sigmoid(−lambda). The EDM noise level is exp(−lambda/2).
 *
 * @param lambdaMin log-SNR at u = 1 (paper: −20)
 * @param lambdaMax log-SNR at u = 0 (paper: 20)
 */
public record LogSnrSchedule(double lambdaMin, double lambdaMax) {
  /** The paper's range, lambda in [−20, 20]. */
  public static final LogSnrSchedule HO_SALIMANS = new LogSnrSchedule(-20, 20);

  public LogSnrSchedule {
    if (!(lambdaMin < lambdaMax) || Double.isInfinite(lambdaMin) || Double.isInfinite(lambdaMax)) {
      throw new IllegalArgumentException(
          "log-SNR range must be finite with lambda_min < lambda_max, got ["
              + lambdaMin
              + ", "
              + lambdaMax
              + "]");
    }
  }

  public double b() {
    return Math.atan(Math.exp(-lambdaMax / 2));
  }

  public double a() {
    return Math.atan(Math.exp(-lambdaMin / 2)) - b();
  }

  /** lambda(u), u in [0, 1]. */
  public double lambda(double u) {
    if (!(u >= 0 && u <= 1)) {
      throw new IllegalArgumentException("u must lie in [0, 1], got " + u);
    }
    return -2 * Math.log(Math.tan(a() * u + b()));
  }

  /**
   * The u with lambda(u) = lambda: in [0, 1] for lambda in [lambda_min, lambda_max], and just
   * outside it for values a rounding error beyond the ends (lambda(1) itself is one: tan is
   * ill-conditioned next to pi/2).
   */
  public double u(double lambda) {
    if (Double.isNaN(lambda) || Double.isInfinite(lambda)) {
      throw new IllegalArgumentException("lambda must be finite, got " + lambda);
    }
    return (Math.atan(Math.exp(-lambda / 2)) - b()) / a();
  }

  /** alpha² = sigmoid(lambda): the signal variance. */
  public static double alphaSquared(double lambda) {
    return 1 / (1 + Math.exp(-lambda));
  }

  /** sigma² = sigmoid(−lambda): the noise variance. */
  public static double sigmaSquared(double lambda) {
    return 1 / (1 + Math.exp(lambda));
  }

  /** sigma/alpha = exp(−lambda/2): the same noise level in EDM's x = y + sigma·n form. */
  public static double edmSigma(double lambda) {
    return Math.exp(-lambda / 2);
  }

  /** The log-SNR of an EDM noise level: −2·log sigma. */
  public static double lambdaOfEdmSigma(double sigma) {
    return -2 * Math.log(sigma);
  }
}
