package org.guidance4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.guidance4j.diffusion.schedule.Prediction;
import org.guidance4j.io.ModelConfig;
import org.guidance4j.io.ModelConfigException;
import org.junit.jupiter.api.Test;

/** Which quantity an ADM config says its network predicts. */
class AdmModelPredictionTest {
  static ModelConfig config(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", "adm_unet");
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return ModelConfig.of(m, "model/config.json");
  }

  @Test
  void guidedDiffusionFlagAndOurKey() {
    assertEquals(Prediction.EPSILON, AdmModel.prediction(config()));
    assertEquals(Prediction.EPSILON, AdmModel.prediction(config("predict_xstart", false)));
    assertEquals(Prediction.START_X, AdmModel.prediction(config("predict_xstart", true)));
    assertEquals(Prediction.START_X, AdmModel.prediction(config("prediction", "x0")));
    assertEquals(Prediction.START_X, AdmModel.prediction(config("prediction", "x0", "predict_xstart", true)));
    assertEquals(Prediction.VELOCITY, AdmModel.prediction(config("prediction", "v")));
    assertEquals(Prediction.EPSILON, AdmModel.prediction(config("prediction", "eps")));
  }

  @Test
  void badOrContradictoryValuesNameFileAndKey() {
    var e = assertThrows(ModelConfigException.class, () -> AdmModel.prediction(config("prediction", "score")));
    assertTrue(e.getMessage().contains("model/config.json") && e.getMessage().contains("prediction"), e.getMessage());
    assertEquals("prediction", e.key());
    e = assertThrows(
        ModelConfigException.class, () -> AdmModel.prediction(config("prediction", "v", "predict_xstart", true)));
    assertTrue(e.getMessage().contains("predict_xstart"), e.getMessage());
  }
}
