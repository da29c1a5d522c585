package org.guidance4j.io;

/**
 * The element types a safetensors header may name (its own spelling). Every one is recognised so
 * that a checkpoint holding, say, an I64 step counter still opens; only {@link #isFloatData()}
 * types can be read as floating-point weights.
 */
public enum SafetensorsDType {
  F64(8),
  F32(4),
  F16(2),
  BF16(2),
  F8_E4M3(1),
  F8_E5M2(1),
  I64(8),
  I32(4),
  I16(2),
  I8(1),
  U64(8),
  U32(4),
  U16(2),
  U8(1),
  BOOL(1);

  private final int byteSize;

  SafetensorsDType(int byteSize) {
    this.byteSize = byteSize;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /** True for the weight types the library computes with: F32, F16 and BF16. */
  public boolean isFloatData() {
    return this == F32 || this == F16 || this == BF16;
  }

  /** The type named {@code name} exactly as a header spells it, or null if there is none. */
  public static SafetensorsDType fromName(String name) {
    for (SafetensorsDType t : values()) {
      if (t.name().equals(name)) {
        return t;
      }
    }
    return null;
  }
}
