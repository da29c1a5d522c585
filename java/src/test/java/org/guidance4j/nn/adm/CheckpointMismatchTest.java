package org.guidance4j.nn.adm;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.io.SafetensorsDType;
import org.guidance4j.io.SafetensorsEntry;
import org.guidance4j.io.SafetensorsFile;
import org.guidance4j.io.SafetensorsWriter;
import org.guidance4j.nn.CheckpointMismatchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A checkpoint that does not fit its config fails to load with a message naming the tensor. */
class CheckpointMismatchTest {
  @TempDir Path dir;

  /** The unet_a fixture rewritten with {@code edit} applied to its tensors. */
  private Path edited(Consumer<Map<String, SafetensorsWriter.Tensor>> edit) throws Exception {
    Path src = AdmFixtureTest.fixture("unet_a");
    Map<String, SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
    try (SafetensorsFile f = SafetensorsFile.open(src.resolve("model.safetensors"))) {
      for (SafetensorsEntry e : f.entries()) {
        byte[] bytes = e.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        tensors.put(e.key(), SafetensorsWriter.Tensor.ofBytes(e.dtype(), e.shape(), bytes));
      }
    }
    edit.accept(tensors);
    Path model = Files.createDirectories(dir.resolve("model"));
    Files.copy(src.resolve("config.json"), model.resolve("config.json"));
    SafetensorsWriter.write(model.resolve("model.safetensors"), tensors);
    return model;
  }

  private String loadError(Path model) {
    CheckpointMismatchException e =
        assertThrows(CheckpointMismatchException.class, () -> AdmUNet.load(model, Device.cpu(), DType.F32).close());
    assertTrue(e.getMessage().contains("model.safetensors"), "names the file: " + e.getMessage());
    return e.getMessage();
  }

  @Test
  void missingKey() throws Exception {
    String m = loadError(edited(t -> t.remove("out.2.weight")));
    assertTrue(m.contains("'out.2.weight'") && m.contains("missing") && m.contains("[6, 32, 3, 3]"), m);
  }

  @Test
  void wrongShape() throws Exception {
    String m = loadError(edited(t -> t.put("out.2.bias", SafetensorsWriter.Tensor.ofFloats(new long[] {5}, 1, 2, 3, 4, 5))));
    assertTrue(m.contains("'out.2.bias'") && m.contains("[5]") && m.contains("expected [6]"), m);
  }

  @Test
  void unexpectedKey() throws Exception {
    String m = loadError(edited(t -> t.put("extra.weight", SafetensorsWriter.Tensor.ofFloats(new long[] {1}, 1))));
    assertTrue(m.contains("extra.weight") && m.contains("does not have"), m);
  }

  @Test
  void wrongDtype() throws Exception {
    String m =
        loadError(edited(t -> t.put("out.2.bias", SafetensorsWriter.Tensor.ofBytes(SafetensorsDType.I64, new long[] {6}, new byte[48]))));
    assertTrue(m.contains("'out.2.bias'") && m.contains("I64"), m);
  }
}
