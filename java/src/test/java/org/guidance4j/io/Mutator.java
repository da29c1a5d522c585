package org.guidance4j.io;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

/**
 * The mutations of the fuzz tests: byte flips, interesting values, insertions, deletions,
 * truncation, random length fields, and edits of a header's text with its length field kept
 * consistent, so that the mutation reaches the validation behind the parser.
 */
final class Mutator {
  private Mutator() {}

  private static final byte[] INTERESTING = {
    0,
    1,
    (byte) 0x7f,
    (byte) 0x80,
    (byte) 0xff,
    '0',
    '9',
    '-',
    '[',
    ']',
    '{',
    '}',
    '"',
    '\'',
    ',',
    ':',
    '(',
    ')',
    '\\',
    ' '
  };
  private static final String[] TOKENS = {
    "-1",
    "0",
    "18446744073709551615",
    "9223372036854775807",
    "4611686018427387904",
    "1e400",
    "1.5",
    "\"F16\"",
    "\"BF16\"",
    "\"I64\"",
    "\"X\"",
    "[]",
    "{}",
    "null",
    "true",
    "[0,0]",
    "\"__metadata__\"",
    "'<f8'",
    "'>f4'",
    "True",
    "(0,)",
    "()",
    "(1, 2, 3)",
    ",",
    "\\u0000",
    "\"\\ud800\""
  };

  /**
   * One mutation of {@code in}; headerAt: where the header text starts, for the edits that keep its
   * length field right (8 for safetensors, -1 for .npy, whose offset depends on the version, 0 for
   * bare text).
   */
  static byte[] mutate(byte[] in, int headerAt, Random random) {
    return random.nextInt(3) == 0 ? mutateHeaderText(in, headerAt, random) : mutateBytes(in, random);
  }

  static byte[] mutateBytes(byte[] in, Random random) {
    byte[] b = in;
    int n = b.length;
    switch (random.nextInt(7)) {
      case 0 -> { // flip a bit
        if (n > 0) {
          b = b.clone();
          b[random.nextInt(n)] ^= (byte) (1 << random.nextInt(8));
        }
      }
      case 1 -> { // an interesting byte
        if (n > 0) {
          b = b.clone();
          b[random.nextInt(n)] = INTERESTING[random.nextInt(INTERESTING.length)];
        }
      }
      case 2 -> { // insert random bytes
        int at = random.nextInt(n + 1);
        byte[] extra = new byte[1 + random.nextInt(16)];
        random.nextBytes(extra);
        b = splice(b, at, at, extra);
      }
      case 3 -> { // delete a range
        if (n > 0) {
          int at = random.nextInt(n);
          b = splice(b, at, Math.min(n, at + 1 + random.nextInt(16)), new byte[0]);
        }
      }
      case 4 -> b = Arrays.copyOf(b, random.nextInt(n + 1)); // truncate
      case 5 -> { // a random length field (safetensors: 8 bytes, npy: 2 or 4 after the version)
        if (n >= 12) {
          b = b.clone();
          int at = random.nextBoolean() ? 0 : 8;
          int width = at == 0 ? 8 : 2 + 2 * random.nextInt(2);
          long v = random.nextBoolean() ? random.nextLong() : random.nextInt(n * 2 + 1);
          for (int k = 0; k < width; k++) {
            b[at + k] = (byte) (v >>> (8 * k));
          }
        }
      }
      default -> { // duplicate a chunk
        if (n > 0) {
          int from = random.nextInt(n);
          int to = Math.min(n, from + 1 + random.nextInt(32));
          int at = random.nextInt(n + 1);
          b = splice(b, at, at, Arrays.copyOfRange(b, from, to));
        }
      }
    }
    return b;
  }

  /** Edits the header as text (a token replaced or inserted) and rewrites its length field. */
  static byte[] mutateHeaderText(byte[] in, int headerAt, Random random) {
    int start;
    int length;
    int lengthBytes;
    if (headerAt == 8 && in.length >= 8) {
      long n = ByteBuffer.wrap(in).order(ByteOrder.LITTLE_ENDIAN).getLong();
      if (n < 0 || n > in.length - 8) {
        return mutateBytes(in, random);
      }
      start = 8;
      length = (int) n;
      lengthBytes = 8;
    } else if (headerAt < 0 && in.length >= 12 && (in[6] == 1 || in[6] == 2 || in[6] == 3)) {
      lengthBytes = in[6] == 1 ? 2 : 4;
      start = 8 + lengthBytes;
      long n =
          lengthBytes == 2
              ? ByteBuffer.wrap(in, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff
              : ByteBuffer.wrap(in, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
      if (n > in.length - start) {
        return mutateBytes(in, random);
      }
      length = (int) n;
    } else if (headerAt == 0) {
      start = 0;
      length = in.length;
      lengthBytes = 0;
    } else {
      return mutateBytes(in, random);
    }
    String text = new String(in, start, length, StandardCharsets.ISO_8859_1);
    String token = TOKENS[random.nextInt(TOKENS.length)];
    int at = random.nextInt(text.length() + 1);
    int end = at;
    if (random.nextBoolean()) { // replace a run of digits or a word, else insert
      while (end < text.length() && Character.isLetterOrDigit(text.charAt(end))) {
        end++;
      }
    }
    byte[] header =
        (text.substring(0, at) + token + text.substring(end)).getBytes(StandardCharsets.ISO_8859_1);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(in, 0, start - lengthBytes);
    for (int k = 0; k < lengthBytes; k++) {
      out.write((int) ((long) header.length >>> (8 * k)));
    }
    out.writeBytes(header);
    out.write(in, start + length, in.length - start - length);
    return out.toByteArray();
  }

  private static byte[] splice(byte[] b, int from, int to, byte[] insert) {
    byte[] out = new byte[b.length - (to - from) + insert.length];
    System.arraycopy(b, 0, out, 0, from);
    System.arraycopy(insert, 0, out, from, insert.length);
    System.arraycopy(b, to, out, from + insert.length, b.length - to);
    return out;
  }
}
