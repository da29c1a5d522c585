package org.guidance4j.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where a model's two files are: its config.json and its .safetensors checkpoint. A user may name
 * the model's directory (holding config.json and exactly one .safetensors file) or the checkpoint
 * itself (with config.json beside it).
 */
public record ModelFiles(Path config, Path checkpoint) {
  static final String CONFIG_NAME = "config.json";
  static final String CHECKPOINT_SUFFIX = ".safetensors";

  public static ModelFiles resolve(Path path) throws IOException {
    String name = path.toString();
    if (Files.isDirectory(path)) {
      Path config = path.resolve(CONFIG_NAME);
      if (!Files.isRegularFile(config)) {
        throw new ModelConfigException(name, null, "the model directory has no " + CONFIG_NAME);
      }
      List<Path> checkpoints;
      try (Stream<Path> children = Files.list(path)) {
        checkpoints =
            children
                .filter(p -> p.getFileName().toString().endsWith(CHECKPOINT_SUFFIX))
                .filter(Files::isRegularFile)
                .sorted()
                .toList();
      }
      if (checkpoints.isEmpty()) {
        throw new ModelConfigException(
            name, null, "the model directory has no " + CHECKPOINT_SUFFIX + " checkpoint");
      }
      if (checkpoints.size() > 1) {
        throw new ModelConfigException(
            name,
            null,
            "the model directory has "
                + checkpoints.size()
                + " checkpoints ("
                + String.join(
                    ", ", checkpoints.stream().map(p -> p.getFileName().toString()).toList())
                + "); name the one to use");
      }
      return new ModelFiles(config, checkpoints.getFirst());
    }
    if (!Files.exists(path)) {
      throw new ModelConfigException(name, null, "no such file or directory");
    }
    if (!path.getFileName().toString().endsWith(CHECKPOINT_SUFFIX)) {
      throw new ModelConfigException(
          name, null, "expected a model directory or a " + CHECKPOINT_SUFFIX + " checkpoint");
    }
    Path config = path.toAbsolutePath().resolveSibling(CONFIG_NAME);
    if (!Files.isRegularFile(config)) {
      throw new ModelConfigException(
          name, null, "no " + CONFIG_NAME + " beside the checkpoint (looked for " + config + ")");
    }
    return new ModelFiles(config, path);
  }

  /** Reads the config. */
  public ModelConfig readConfig() throws IOException {
    return ModelConfig.read(config);
  }

  /** Maps and validates the checkpoint; the caller closes it. */
  public SafetensorsFile openCheckpoint() throws IOException {
    return SafetensorsFile.open(checkpoint);
  }
}
