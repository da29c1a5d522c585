package org.guidance4j.bench;

/**
 * What one benchmark call moves and computes, counted from its shapes: the report divides these by
 * the measured time. {@code bytes} is the ideal traffic (each input read once, each output written
 * once; 0 when not counted); {@code flops} counts 2 per multiply-add, 0 for memory-bound ops;
 * {@code images} is the images one call produces (network benchmarks only). {@code formula} is
 * the count in words, printed next to the number.
 */
record Work(double bytes, double flops, double images, String formula) {
  static Work memory(double bytes, String formula) {
    return new Work(bytes, 0, 0, formula);
  }

  static Work compute(double flops, double bytes, String formula) {
    return new Work(bytes, flops, 0, formula);
  }

  static Work network(double flops, double images, String formula) {
    return new Work(0, flops, images, formula);
  }
}
