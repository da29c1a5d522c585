package org.guidance4j.sampling;

/**
 * Where a sampling run stands, after each sampler step.
 *
 * @param imagesDone samples finished so far (whole batches)
 * @param imagesPerSecond finished-equivalent throughput since the run started
 */
public record Progress(
    int batch, int batches, int step, int steps, long imagesDone, long imagesTotal, double elapsedSeconds,
    double imagesPerSecond) {

  /** Fraction of all sampler steps of the run done, in [0, 1]. */
  public double fraction() {
    double perBatch = 1.0 / batches;
    return (batch - 1) * perBatch + perBatch * step / steps;
  }
}
