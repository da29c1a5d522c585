package org.guidance4j.core;

/** A CUDA runtime error other than out-of-memory; the text carries CUDA's own error string. */
public final class CudaException extends Guidance4jException {
  public CudaException(String operation, String message) {
    super(operation, message);
  }
}
