package org.guidance4j.io;

/**
 * A model's config.json holding a value of the wrong type or a missing required key, or a model
 * path that does not resolve to one config.json and one checkpoint.
 */
public final class ModelConfigException extends FileFormatException {
  private final String key;

  public ModelConfigException(String file, String key, String message) {
    super(file, key == null ? message : "key '" + key + "': " + message);
    this.key = key;
  }

  /** The config key at fault, or null when the problem is not one key. */
  public String key() {
    return key;
  }
}
