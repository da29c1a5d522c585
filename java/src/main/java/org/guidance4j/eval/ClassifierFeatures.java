package org.guidance4j.eval;

import org.guidance4j.core.Tensor;
import org.guidance4j.nn.adm.AdmClassifier;

/**
 * What a noise-aware classifier sees in clean images (t = 0): each image's predicted class and
 * its pooled features ({@link AdmClassifier.Outputs#features()}), the representation the
 * Fréchet distance compares image sets by.
 *
 * @param features one row per image, in double
 * @param predicted the arg-max class of each image's logits
 */
public record ClassifierFeatures(double[][] features, int[] predicted) {

  /**
   * @param images (N, C, H, W) F32 in [-1, 1], on any device
   * @param batch images per classifier call
   */
  public static ClassifierFeatures of(AdmClassifier classifier, Tensor images, int batch) {
    int n = (int) images.dim(0);
    double[][] features = new double[n][];
    int[] predicted = new int[n];
    for (int from = 0; from < n; from += batch) {
      int to = Math.min(n, from + batch);
      try (Tensor x = images.slice(from, to).copyTo(classifier.device());
          AdmClassifier.Outputs out = classifier.forwardWithFeatures(x, new float[to - from])) {
        float[] logits = out.logits().toFloatArray();
        float[] f = out.features().toFloatArray();
        int classes = (int) out.logits().dim(1);
        int width = (int) out.features().dim(1);
        for (int i = 0; i < to - from; i++) {
          predicted[from + i] = argMax(logits, i * classes, classes);
          double[] row = new double[width];
          for (int j = 0; j < width; j++) {
            row[j] = f[i * width + j];
          }
          features[from + i] = row;
        }
      }
    }
    return new ClassifierFeatures(features, predicted);
  }

  /** The share of images whose predicted class is their label. */
  public double accuracy(long[] labels) {
    if (labels.length != predicted.length) {
      throw new IllegalArgumentException(labels.length + " labels for " + predicted.length + " images");
    }
    int right = 0;
    for (int i = 0; i < labels.length; i++) {
      if (predicted[i] == labels[i]) {
        right++;
      }
    }
    return (double) right / labels.length;
  }

  private static int argMax(float[] v, int offset, int length) {
    int best = 0;
    for (int j = 1; j < length; j++) {
      if (v[offset + j] > v[offset + best]) {
        best = j;
      }
    }
    return best;
  }
}
