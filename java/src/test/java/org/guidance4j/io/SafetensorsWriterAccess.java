package org.guidance4j.io;

import java.util.Map;

/** Test access to the in-memory safetensors writer from other packages. */
public final class SafetensorsWriterAccess {
  private SafetensorsWriterAccess() {}

  public static byte[] toBytes(Map<String, SafetensorsWriter.Tensor> tensors) {
    return SafetensorsWriter.toBytes(tensors, Map.of());
  }
}
