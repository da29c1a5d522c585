package org.guidance4j.io;

/** The .npy element types guidance4j reads and writes: little-endian, C order only. */
public enum NpyDType {
  FLOAT32("<f4", 4, "float32"),
  FLOAT64("<f8", 8, "float64"),
  INT64("<i8", 8, "int64");

  private final String descr;
  private final int byteSize;
  private final String numpyName;

  NpyDType(String descr, int byteSize, String numpyName) {
    this.descr = descr;
    this.byteSize = byteSize;
    this.numpyName = numpyName;
  }

  /** The header's spelling, e.g. {@code <f4}. */
  public String descr() {
    return descr;
  }

  public int byteSize() {
    return byteSize;
  }

  /** NumPy's name, e.g. {@code float32}. */
  public String numpyName() {
    return numpyName;
  }

  /** The type whose header spelling is {@code descr}, or null. */
  static NpyDType fromDescr(String descr) {
    for (NpyDType t : values()) {
      if (t.descr.equals(descr)) {
        return t;
      }
    }
    return null;
  }
}
