package org.guidance4j.core;

/**
 * A NaN or an infinity where guidance4j needs finite numbers: in a checkpoint's weights
 * ({@link NonFiniteWeightException}), in an input ({@link NonFiniteInputException}) or in what
 * sampling produced ({@link NonFiniteSampleException}). Each names where, and the first element
 * or sample at fault.
 */
public abstract sealed class NonFiniteException extends Guidance4jException
    permits NonFiniteWeightException, NonFiniteInputException, NonFiniteSampleException {
  NonFiniteException(String operation, String message) {
    super(operation, message);
  }

  /** "NaN", "+Infinity" or "-Infinity". */
  static String describe(float value) {
    return Float.isNaN(value) ? "NaN" : value > 0 ? "+Infinity" : "-Infinity";
  }
}
