package org.guidance4j.diffusion;

import org.guidance4j.core.Device;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.schedule.DiscreteDiffusion;
import org.guidance4j.diffusion.schedule.Prediction;

/** Test decorator: every call goes to {@code inner}; subclasses override what they observe or break. */
public class ForwardingModel implements DiffusionModel {
  protected final DiffusionModel inner;

  public ForwardingModel(DiffusionModel inner) {
    this.inner = inner;
  }

  @Override
  public Device device() {
    return inner.device();
  }

  @Override
  public long[] sampleShape() {
    return inner.sampleShape();
  }

  @Override
  public int numClasses() {
    return inner.numClasses();
  }

  @Override
  public long nullClass() {
    return inner.nullClass();
  }

  @Override
  public boolean learnedSigma() {
    return inner.learnedSigma();
  }

  @Override
  public boolean sigmaSmall() {
    return inner.sigmaSmall();
  }

  @Override
  public Prediction prediction() {
    return inner.prediction();
  }

  @Override
  public boolean discrete() {
    return inner.discrete();
  }

  @Override
  public DiscreteDiffusion diffusion() {
    return inner.diffusion();
  }

  @Override
  public float noiseInput(double sigma) {
    return inner.noiseInput(sigma);
  }

  @Override
  public Tensor forward(Tensor x, float[] noiseInputs, long[] labels) {
    return inner.forward(x, noiseInputs, labels);
  }

  @Override
  public java.util.List<String> attentionLayers() {
    return inner.attentionLayers();
  }

  @Override
  public java.util.List<String> middleAttentionLayers() {
    return inner.middleAttentionLayers();
  }

  @Override
  public Tensor forward(Tensor x, float[] noiseInputs, long[] labels, org.guidance4j.nn.PerturbedAttention perturbation) {
    return inner.forward(x, noiseInputs, labels, perturbation);
  }

  /** Does not close {@code inner}: the test that made it does. */
  @Override
  public void close() {}
}
