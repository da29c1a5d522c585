package org.guidance4j.guidance;

import org.guidance4j.core.Tensor;

/**
 * A noise-aware classifier's input gradient: d/dx sum_i log softmax(classifier(x, t))_i[y_i], for x
 * in the discrete model's (VP) scaling at network timestep t.
 */
@FunctionalInterface
public interface ClassifierGradient {
  Tensor gradient(Tensor x, float[] timesteps, long[] labels);
}
