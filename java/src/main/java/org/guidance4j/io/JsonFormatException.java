package org.guidance4j.io;

/** Text that is not strict JSON (RFC 8259), or exceeds the parser's depth or size limits. */
public final class JsonFormatException extends FileFormatException {
  private final long offset;
  private final int line;
  private final int column;

  JsonFormatException(String file, long offset, int line, int column, String message) {
    super(
        file,
        "invalid JSON at line "
            + line
            + ", column "
            + column
            + " (offset "
            + offset
            + "): "
            + message);
    this.offset = offset;
    this.line = line;
    this.column = column;
  }

  /** Offset of the offending character, in chars from the start of the text. */
  public long offset() {
    return offset;
  }

  /** 1-based line of the offending character. */
  public int line() {
    return line;
  }

  /** 1-based column (in chars) of the offending character. */
  public int column() {
    return column;
  }
}
