package org.guidance4j.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The validated header of a safetensors image. Nothing is allocated from a header field before it
 * is checked against the file's real size, so a hostile file costs at most its own length.
 */
record SafetensorsHeader(Map<String, SafetensorsEntry> entries, Map<String, String> metadata) {
  /** Larger headers are refused outright, as the reference implementation does. */
  static final long MAX_HEADER_BYTES = 100_000_000L;

  private static final String METADATA_KEY = "__metadata__";
  private static final ValueLayout.OfLong LENGTH =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  static SafetensorsHeader parse(MemorySegment file, String name) {
    long size = file.byteSize();
    if (size < 8) {
      throw new CheckpointFormatException(
          name, null, "file is " + size + " bytes, too short for the 8-byte header length");
    }
    long headerLength = file.get(LENGTH, 0);
    if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
      throw new CheckpointFormatException(
          name,
          null,
          "header length "
              + Long.toUnsignedString(headerLength)
              + " is absurd (the limit is "
              + MAX_HEADER_BYTES
              + " bytes); not a safetensors file?");
    }
    if (headerLength > size - 8) {
      throw new CheckpointFormatException(
          name,
          null,
          "header length " + headerLength + " runs past the end of the file (" + size + " bytes)");
    }
    String text = decodeUtf8(file.asSlice(8, headerLength), name);
    Object root;
    try {
      root = Json.parse(text, name);
    } catch (JsonFormatException e) {
      throw new CheckpointFormatException(name, null, "header: " + e.detail(), e);
    }
    if (!(root instanceof Map<?, ?> fields)) {
      throw new CheckpointFormatException(name, null, "header is not a JSON object");
    }
    MemorySegment data = file.asSlice(8 + headerLength);
    Map<String, SafetensorsEntry> entries = new LinkedHashMap<>();
    Map<String, String> metadata = Map.of();
    List<Range> ranges = new ArrayList<>();
    for (Map.Entry<?, ?> field : fields.entrySet()) {
      String key = (String) field.getKey();
      if (key.equals(METADATA_KEY)) {
        metadata = parseMetadata(field.getValue(), name);
        continue;
      }
      Range range = parseEntry(key, field.getValue(), data.byteSize(), name);
      ranges.add(range);
      entries.put(
          key,
          new SafetensorsEntry(
              name,
              key,
              range.dtype,
              range.shape,
              range.elementCount,
              data.asSlice(range.begin, range.end - range.begin)));
    }
    checkTiling(ranges, data.byteSize(), headerLength, name);
    return new SafetensorsHeader(Collections.unmodifiableMap(entries), metadata);
  }

  private static String decodeUtf8(MemorySegment bytes, String name) {
    ByteBuffer buffer = ByteBuffer.wrap(bytes.toArray(ValueLayout.JAVA_BYTE));
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(buffer)
          .toString();
    } catch (CharacterCodingException e) {
      throw new CheckpointFormatException(
          name, null, "header is not valid UTF-8 (byte " + (8 + buffer.position()) + ")", e);
    }
  }

  private static Map<String, String> parseMetadata(Object value, String name) {
    if (!(value instanceof Map<?, ?> map)) {
      throw new CheckpointFormatException(name, null, "\"__metadata__\" is not a JSON object");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getValue() instanceof String s)) {
        throw new CheckpointFormatException(
            name, null, "\"__metadata__\" value of \"" + e.getKey() + "\" is not a string");
      }
      out.put((String) e.getKey(), s);
    }
    return Collections.unmodifiableMap(out);
  }

  private static Range parseEntry(String key, Object value, long dataSize, String name) {
    if (!(value instanceof Map<?, ?> entry)) {
      throw new CheckpointFormatException(name, key, "header entry is not a JSON object");
    }
    if (!(entry.get("dtype") instanceof String dtypeName)) {
      throw new CheckpointFormatException(name, key, "missing or non-string \"dtype\"");
    }
    SafetensorsDType dtype = SafetensorsDType.fromName(dtypeName);
    if (dtype == null) {
      throw new CheckpointFormatException(name, key, "unknown dtype '" + dtypeName + "'");
    }
    long[] shape = nonNegativeLongs(entry.get("shape"), -1);
    if (shape == null) {
      throw new CheckpointFormatException(
          name,
          key,
          "\"shape\" must be a list of non-negative integers, got " + show(entry.get("shape")));
    }
    long[] offsets = nonNegativeLongs(entry.get("data_offsets"), 2);
    if (offsets == null) {
      throw new CheckpointFormatException(
          name,
          key,
          "\"data_offsets\" must be [begin, end] with non-negative integers, got "
              + show(entry.get("data_offsets")));
    }
    long begin = offsets[0];
    long end = offsets[1];
    if (begin > end) {
      throw new CheckpointFormatException(
          name, key, "data_offsets [" + begin + ", " + end + "] begin after they end");
    }
    if (end > dataSize) {
      throw new CheckpointFormatException(
          name,
          key,
          "data_offsets ["
              + begin
              + ", "
              + end
              + "] run past the data section ("
              + dataSize
              + " bytes)");
    }
    long elements = 1;
    long bytes;
    try {
      for (long d : shape) {
        elements = Math.multiplyExact(elements, d);
      }
      bytes = Math.multiplyExact(elements, dtype.byteSize());
    } catch (ArithmeticException overflow) {
      throw new CheckpointFormatException(
          name,
          key,
          "shape " + Arrays.toString(shape) + " of " + dtype + " overflows a 64-bit byte count");
    }
    if (bytes != end - begin) {
      throw new CheckpointFormatException(
          name,
          key,
          "shape %s of %s needs %d bytes but data_offsets [%d, %d] hold %d"
              .formatted(Arrays.toString(shape), dtype, bytes, begin, end, end - begin));
    }
    return new Range(key, dtype, shape, elements, begin, end);
  }

  /** The list as longs if every element is a non-negative integer (and the length matches). */
  private static long[] nonNegativeLongs(Object value, int requiredLength) {
    if (!(value instanceof List<?> list)) {
      return null;
    }
    if (requiredLength >= 0 && list.size() != requiredLength) {
      return null;
    }
    long[] out = new long[list.size()];
    for (int i = 0; i < out.length; i++) {
      if (!(list.get(i) instanceof Long v) || v < 0) {
        return null;
      }
      out[i] = v;
    }
    return out;
  }

  /**
   * The format's rule: the tensors' byte ranges, in order, tile the data section exactly, from 0
   * to its last byte: no hole, no overlap, no trailing bytes. (A header length a few bytes short
   * shifts every tensor and leaves trailing bytes; this is what finds it.) A zero-byte tensor has
   * to sit where the previous one ends, as in the reference implementation.
   */
  private static void checkTiling(List<Range> ranges, long dataSize, long headerLength, String name) {
    List<Range> sorted =
        ranges.stream()
            .sorted(Comparator.comparingLong((Range r) -> r.begin).thenComparingLong(r -> r.end))
            .toList();
    long covered = 0;
    Range previous = null;
    for (Range r : sorted) {
      if (r.begin < covered) {
        throw new CheckpointFormatException(
            name,
            r.key,
            "data_offsets [%d, %d] overlap those of tensor '%s' [%d, %d]"
                .formatted(r.begin, r.end, previous.key, previous.begin, previous.end));
      }
      if (r.begin > covered) {
        throw new CheckpointFormatException(
            name,
            r.key,
            "data_offsets [%d, %d] leave bytes [%d, %d) of the data section to no tensor (%s);"
                    .formatted(r.begin, r.end, covered, r.begin,
                        previous == null ? "the first tensor must start at 0" : "after tensor '" + previous.key + "'")
                + " the tensors must cover it without holes");
      }
      covered = r.end;
      previous = r;
    }
    if (covered != dataSize) {
      throw new CheckpointFormatException(
          name,
          null,
          "the data section after the " + headerLength + "-byte header is " + dataSize + " bytes but the tensors cover "
              + covered + ": " + (dataSize - covered) + " trailing byte" + (dataSize - covered == 1 ? "" : "s")
              + " (a wrong header length, or bytes appended to the file?)");
    }
  }

  private static String show(Object value) {
    String s = value == null ? "nothing" : Json.write(value);
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }

  private record Range(
      String key, SafetensorsDType dtype, long[] shape, long elementCount, long begin, long end) {}
}
