package org.guidance4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.NonFiniteWeightException;
import org.guidance4j.core.Tensor;
import org.guidance4j.io.SafetensorsDType;
import org.guidance4j.io.SafetensorsFile;
import org.guidance4j.io.SafetensorsWriter;
import org.guidance4j.io.SafetensorsWriterAccess;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Weights are checked for NaNs and infinities as they load, in every stored dtype: the error names
 * the file, the key and the first bad element (its flat index and position), and a finite
 * checkpoint loads as before.
 */
class NonFiniteWeightsTest {
  private static SafetensorsFile checkpoint(SafetensorsDType dtype, int badIndex, float bad) {
    float[] values = new float[2 * 3 * 5];
    for (int i = 0; i < values.length; i++) {
      values[i] = 0.25f * i - 3;
    }
    if (badIndex >= 0) {
      values[badIndex] = bad;
      values[values.length - 1] = bad; // a later one too: the first is reported
    }
    byte[] bytes;
    if (dtype == SafetensorsDType.F32) {
      ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(values);
      bytes = b.array();
    } else {
      ByteBuffer b = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
      for (float v : values) {
        b.putShort(dtype == SafetensorsDType.F16
            ? Float.floatToFloat16(v)
            : (short) (Float.floatToRawIntBits(v) >>> 16));
      }
      bytes = b.array();
    }
    Map<String, SafetensorsWriter.Tensor> t = new LinkedHashMap<>();
    t.put("ok.bias", SafetensorsWriter.Tensor.ofFloats(new long[] {3}, 1, 2, 3));
    t.put("blocks.1.weight", SafetensorsWriter.Tensor.ofBytes(dtype, new long[] {2, 3, 5}, bytes));
    byte[] image = SafetensorsWriterAccess.toBytes(t);
    MemorySegment mapped = java.lang.foreign.Arena.ofAuto().allocate(image.length, 64); // native, like a mapping
    mapped.copyFrom(MemorySegment.ofArray(image));
    return SafetensorsFile.parse(mapped.asReadOnly(), "m.safetensors");
  }

  @ParameterizedTest
  @ValueSource(strings = {"F32", "F16", "BF16"})
  void aNaNWeightIsNamedWithItsFirstIndex(String stored) {
    SafetensorsDType dtype = SafetensorsDType.valueOf(stored);
    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
      try (SafetensorsFile f = checkpoint(dtype, 17, bad)) {
        Weights w = new Weights(f, Device.cpu(), DType.F32);
        w.take("ok.bias", 3);
        NonFiniteWeightException e =
            assertThrows(NonFiniteWeightException.class, () -> w.take("blocks.1.weight", 2, 3, 5));
        assertEquals("blocks.1.weight", e.key());
        assertEquals(17, e.index());
        assertEquals("m.safetensors", e.file());
        String want = Float.isNaN(bad) ? "NaN" : bad > 0 ? "+Infinity" : "-Infinity";
        assertTrue(
            e.getMessage().startsWith("m.safetensors: tensor 'blocks.1.weight': element 17 [1, 0, 2] of shape [2, 3, 5] is " + want),
            e.getMessage());
        w.closeTensors();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"F32", "F16", "BF16"})
  void finiteWeightsLoad(String stored) {
    try (SafetensorsFile f = checkpoint(SafetensorsDType.valueOf(stored), -1, 0)) {
      Weights w = new Weights(f, Device.cpu(), DType.F32);
      Tensor t = w.take("blocks.1.weight", 2, 3, 5);
      assertEquals(-3f, t.toFloatArray()[0]);
      w.closeTensors();
    }
  }
}
