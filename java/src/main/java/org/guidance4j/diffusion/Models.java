package org.guidance4j.diffusion;

import java.io.IOException;
import java.nio.file.Path;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.io.ModelConfig;
import org.guidance4j.io.ModelConfigException;
import org.guidance4j.io.ModelFiles;
import org.guidance4j.nn.adm.AdmConfig;
import org.guidance4j.nn.edm2.Edm2Config;

/** Loads any denoising model a config.json describes, choosing the class by its "kind". */
public final class Models {
  private Models() {}

  /** An {@link AdmModel} ("kind": "adm_unet") or an {@link Edm2Model} ("kind": "edm2"). */
  public static DiffusionModel load(Path model, Device device, DType dtype) throws IOException {
    ModelFiles files = ModelFiles.resolve(model);
    ModelConfig config = files.readConfig();
    return switch (config.kind()) {
      case AdmConfig.UNET -> AdmModel.load(model, device, dtype);
      case Edm2Config.KIND -> Edm2Model.load(model, device, dtype);
      default ->
          throw new ModelConfigException(
              config.source(),
              "kind",
              "\"" + config.kind() + "\" is not a denoising model; expected \"" + AdmConfig.UNET
                  + "\" (guided-diffusion) or \"" + Edm2Config.KIND + "\" (EDM2)");
    };
  }

  /** The "kind" of the model at {@code model} without loading it. */
  public static String kind(Path model) throws IOException {
    return ModelFiles.resolve(model).readConfig().kind();
  }
}
