package org.guidance4j.core;

import java.util.Arrays;

/**
 * A checkpoint tensor holding a NaN or an infinity (checked once when the weights load), or one
 * that overflows the compute dtype it is converted to. Names the file, the key and the first bad
 * element.
 */
public final class NonFiniteWeightException extends NonFiniteException {
  private final String file;
  private final String key;
  private final long index;

  public NonFiniteWeightException(String file, String key, long[] shape, long index, float value, String context) {
    super(
        "weights",
        file + ": tensor '" + key + "': element " + index + " " + Arrays.toString(NonFinite.position(shape, index))
            + " of shape " + Arrays.toString(shape) + " is " + describe(value) + context
            + "; the checkpoint cannot give finite outputs");
    this.file = file;
    this.key = key;
    this.index = index;
  }

  public String file() {
    return file;
  }

  public String key() {
    return key;
  }

  /** The first non-finite element, as a flat row-major index. */
  public long index() {
    return index;
  }
}
