package org.guidance4j.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A .safetensors checkpoint, memory-mapped once and validated completely before any tensor is
 * handed out; each {@link SafetensorsEntry} is a zero-copy slice of the mapping.
 *
 * <p>The layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping each key to
 * {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets relative to the data section
 * that follows the header) plus an optional {@code "__metadata__"} object of strings. Every field
 * is checked (see {@link SafetensorsHeader}), and the tensors' byte ranges must tile the data
 * section exactly, as the format requires: no hole, no overlap, no trailing byte.
 *
 * <p>The mapping lives in a shared arena owned by this object, so entries can be read from any
 * thread until {@link #close()}, after which touching them throws {@link IllegalStateException}.
 */
public final class SafetensorsFile implements AutoCloseable {
  private final String name;
  private final Arena arena;
  private final SafetensorsHeader header;
  private final AtomicBoolean closed = new AtomicBoolean();

  private SafetensorsFile(String name, Arena arena, SafetensorsHeader header) {
    this.name = name;
    this.arena = arena;
    this.header = header;
  }

  /** Maps and validates the file at {@code path}; errors name the path. */
  public static SafetensorsFile open(Path path) throws IOException {
    String name = path.toString();
    RegularFiles.require(path);
    Arena arena = Arena.ofShared();
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      MemorySegment mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
      return new SafetensorsFile(name, arena, SafetensorsHeader.parse(mapping, name));
    } catch (IOException | RuntimeException | Error e) {
      arena.close();
      throw e;
    }
  }

  /**
   * Validates a checkpoint already in memory (a buffer, or a mapping the caller owns): the entries
   * slice {@code bytes} and live as long as it does. {@link #close()} does nothing then.
   */
  public static SafetensorsFile parse(MemorySegment bytes, String name) {
    return new SafetensorsFile(name, null, SafetensorsHeader.parse(bytes.asReadOnly(), name));
  }

  /** The name errors use: the path given to {@link #open}, or the label given to {@link #parse}. */
  public String name() {
    return name;
  }

  /** Tensor keys in header order. */
  public Set<String> keys() {
    return header.entries().keySet();
  }

  /** All tensors in header order. */
  public Collection<SafetensorsEntry> entries() {
    return header.entries().values();
  }

  public boolean contains(String key) {
    return header.entries().containsKey(key);
  }

  public Optional<SafetensorsEntry> find(String key) {
    return Optional.ofNullable(header.entries().get(key));
  }

  /** The tensor named {@code key}; a missing key is an error naming the file and key. */
  public SafetensorsEntry get(String key) {
    SafetensorsEntry entry = header.entries().get(key);
    if (entry == null) {
      throw new CheckpointFormatException(
          name, key, "no such tensor in the checkpoint (it has " + header.entries().size() + ")");
    }
    return entry;
  }

  /** The header's {@code "__metadata__"} strings (empty if it has none). */
  public Map<String, String> metadata() {
    return header.metadata();
  }

  /** Unmaps the file (when this object mapped it); idempotent. */
  @Override
  public void close() {
    if (arena != null && closed.compareAndSet(false, true)) {
      arena.close();
    }
  }

  @Override
  public String toString() {
    return "SafetensorsFile[" + name + ", " + header.entries().size() + " tensors]";
  }
}
