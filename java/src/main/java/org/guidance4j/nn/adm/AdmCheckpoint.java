package org.guidance4j.nn.adm;

import java.io.IOException;
import java.nio.file.Path;
import org.guidance4j.io.ModelConfigException;
import org.guidance4j.io.ModelFiles;
import org.guidance4j.io.SafetensorsFile;

/** Opening an ADM model folder: its config (of the expected kind) and its checkpoint. */
final class AdmCheckpoint {
  private AdmCheckpoint() {}

  interface Builder<T> {
    T build(AdmConfig config, SafetensorsFile checkpoint);
  }

  /**
   * Reads {@code model}'s config.json, checks that it describes a {@code kind} network, opens its
   * checkpoint and builds the network from both; the checkpoint is closed when building fails.
   */
  static <T> T load(Path model, String kind, Builder<T> builder) throws IOException {
    ModelFiles files = ModelFiles.resolve(model);
    AdmConfig c = AdmConfig.from(files.readConfig());
    if (!kind.equals(c.kind())) {
      throw new ModelConfigException(files.config().toString(), "kind", "is \"" + c.kind() + "\", expected \"" + kind + "\"");
    }
    SafetensorsFile f = files.openCheckpoint();
    try {
      return builder.build(c, f);
    } catch (IllegalArgumentException e) {
      f.close();
      // a layer the config implies cannot exist (channels that GroupNorm32 or the heads cannot split)
      throw new ModelConfigException(files.config().toString(), null, e.getMessage());
    } catch (RuntimeException e) {
      f.close();
      throw e;
    }
  }
}
