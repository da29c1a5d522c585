package org.guidance4j.toy;

/**
 * The normal draws of NumPy's legacy {@code np.random.RandomState(seed).randn()}: MT19937 seeded
 * by init_genrand (Matsumoto and Nishimura), 53-bit doubles from two outputs, and the polar
 * Box-Muller method that returns the second value of each pair first and caches the other. The toy
 * tree's shape comes from these draws, so the distribution is EDM2's exactly, not just alike.
 */
final class LegacyRandom {
  private static final int N = 624;
  private static final int M = 397;
  private final int[] mt = new int[N];
  private int index = N;
  private boolean hasCached;
  private double cached;

  LegacyRandom(long seed) {
    if (seed < 0 || seed > 0xFFFFFFFFL) {
      throw new IllegalArgumentException("seed must be in [0, 2^32), got " + seed);
    }
    mt[0] = (int) seed;
    for (int i = 1; i < N; i++) {
      mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
    }
  }

  private int nextInt() {
    if (index >= N) {
      twist();
    }
    int y = mt[index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    return y ^ (y >>> 18);
  }

  private void twist() {
    for (int i = 0; i < N; i++) {
      int y = (mt[i] & 0x80000000) | (mt[(i + 1) % N] & 0x7fffffff);
      mt[i] = mt[(i + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
    }
    index = 0;
  }

  /** Uniform in [0, 1) with 53 random bits (random_sample). */
  double nextDouble() {
    long a = (nextInt() >>> 5) & 0xFFFFFFFFL;
    long b = (nextInt() >>> 6) & 0xFFFFFFFFL;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

  /** One standard normal draw (randn). */
  double nextGaussian() {
    if (hasCached) {
      hasCached = false;
      return cached;
    }
    double x1;
    double x2;
    double r2;
    do {
      x1 = 2 * nextDouble() - 1;
      x2 = 2 * nextDouble() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 == 0);
    double f = Math.sqrt(-2 * Math.log(r2) / r2);
    cached = f * x1;
    hasCached = true;
    return f * x2;
  }
}
