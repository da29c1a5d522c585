package org.guidance4j.core;

import org.guidance4j.bindings.guidance4j_h;

/** Storage type of a tensor's elements. The CPU backend computes in F32 only; CUDA in all three. */
public enum DType {
  F32(guidance4j_h.G4J_F32(), 4),
  F16(guidance4j_h.G4J_F16(), 2),
  BF16(guidance4j_h.G4J_BF16(), 2);

  private final int code;
  private final int byteSize;

  DType(int code, int byteSize) {
    this.code = code;
    this.byteSize = byteSize;
  }

  /** The g4j_dtype value. */
  public int code() {
    return code;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  public static DType fromCode(int code) {
    for (DType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    throw new InvalidArgumentException("DType.fromCode", "unknown g4j_dtype " + code);
  }
}
