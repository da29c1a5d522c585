package org.guidance4j.io;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/** Test helper: breaks a copy of a checkpoint in one precise way. */
public final class CheckpointEdits {
  private CheckpointEdits() {}

  /** Rewrites {@code checkpoint} with element {@code index} of the F32 tensor {@code key} set to {@code value}. */
  public static void setElement(Path checkpoint, String key, long index, float value) throws IOException {
    Map<String, SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
    Map<String, String> metadata;
    try (SafetensorsFile f = SafetensorsFile.open(checkpoint)) {
      metadata = f.metadata();
      for (SafetensorsEntry e : f.entries()) {
        byte[] bytes = e.data().toArray(ValueLayout.JAVA_BYTE);
        if (e.key().equals(key)) {
          if (e.dtype() != SafetensorsDType.F32) {
            throw new IllegalArgumentException(key + " is " + e.dtype() + ", not F32");
          }
          ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putFloat((int) (4 * index), value);
        }
        tensors.put(e.key(), SafetensorsWriter.Tensor.ofBytes(e.dtype(), e.shape(), bytes));
      }
    }
    if (!tensors.containsKey(key)) {
      throw new IllegalArgumentException(checkpoint + " has no tensor " + key);
    }
    SafetensorsWriter.write(checkpoint, tensors, metadata);
  }

  /** Rewrites {@code checkpoint} without the tensor {@code key}. */
  public static void drop(Path checkpoint, String key) throws IOException {
    Map<String, SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
    Map<String, String> metadata;
    try (SafetensorsFile f = SafetensorsFile.open(checkpoint)) {
      metadata = f.metadata();
      for (SafetensorsEntry e : f.entries()) {
        if (!e.key().equals(key)) {
          tensors.put(e.key(), SafetensorsWriter.Tensor.ofBytes(e.dtype(), e.shape(), e.data().toArray(ValueLayout.JAVA_BYTE)));
        }
      }
    }
    SafetensorsWriter.write(checkpoint, tensors, metadata);
  }

  /** Adds {@code delta} to the 8-byte header length field, in place. */
  public static void shiftHeaderLength(Path checkpoint, long delta) throws IOException {
    try (FileChannel c = FileChannel.open(checkpoint, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      c.read(b, 0);
      long length = b.getLong(0);
      b.clear();
      b.putLong(0, length + delta);
      c.write(b, 0);
    }
  }
}
