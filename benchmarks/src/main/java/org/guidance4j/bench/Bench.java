package org.guidance4j.bench;

import java.util.ArrayList;
import java.util.List;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;

/**
 * What every benchmark state shares: the device and dtype from their @Param strings (failing the
 * setup with the reason when the machine cannot run them, which JMH reports for that parameter
 * combination and then goes on), random inputs, and one place that frees everything.
 */
final class Bench implements AutoCloseable {
  final Device device;
  final DType dtype;
  private final List<Tensor> owned = new ArrayList<>();
  private int nextStream = 1;

  Bench(String device, String dtype) {
    this.device = open(device);
    this.dtype = DType.valueOf(dtype);
    if (!this.device.supports(this.dtype)) {
      throw new UnsupportedOperationException(
          "skipped: " + this.device + " does not compute in " + this.dtype + " (the CPU backend is F32 only)");
    }
  }

  /** "cpu" or "cuda"; no CUDA device is a clear setup failure, not a crash in the middle of a run. */
  static Device open(String spec) {
    if (spec.startsWith("cuda") && !Device.cudaAvailable()) {
      throw new UnsupportedOperationException(
          "skipped: device=" + spec + " but " + Device.cudaUnavailableReason()
              + " (run.sh passes -p device=cpu on such machines)");
    }
    return Device.parse(spec);
  }

  /** Standard normal values of {@code shape}, in the bench's dtype (never zeros: no fast paths). */
  Tensor randn(long... shape) {
    return keep(Ops.randn(device, dtype, 1234, nextStream++, 0, shape));
  }

  /** Uninitialised memory for an op's output. */
  Tensor empty(long... shape) {
    return keep(Tensor.empty(device, dtype, shape));
  }

  Tensor keep(Tensor t) {
    owned.add(t);
    return t;
  }

  /** Waits for the device: CUDA ops are asynchronous, and a benchmark must time the work, not the launch. */
  void sync() {
    device.synchronize();
  }

  @Override
  public void close() {
    for (int i = owned.size() - 1; i >= 0; i--) {
      owned.get(i).close();
    }
    owned.clear();
  }

  static long numel(long... shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }
}
