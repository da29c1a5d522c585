package org.guidance4j.core;

import java.util.Arrays;

/** An input (initial noise, a network's input) holding a NaN or an infinity; names it and the first bad element. */
public final class NonFiniteInputException extends NonFiniteException {
  private final String input;
  private final long index;

  public NonFiniteInputException(String input, long[] shape, long index, float value) {
    super(
        input,
        input + ": element " + index + " " + Arrays.toString(NonFinite.position(shape, index)) + " of shape "
            + Arrays.toString(shape) + " is " + describe(value) + "; inputs must be finite");
    this.input = input;
    this.index = index;
  }

  /** What the input is (a flag and file, or the library's name for it). */
  public String input() {
    return input;
  }

  /** The first non-finite element, as a flat row-major index. */
  public long index() {
    return index;
  }
}
