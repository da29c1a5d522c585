package org.guidance4j.guidance;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.guidance4j.core.Device;
import org.guidance4j.core.Stream;
import org.guidance4j.core.Tensor;

/**
 * Runs two independent network evaluations at once on a CUDA device: the first on the calling
 * thread and its current stream, the second on another thread whose ops go to the device's side
 * stream, so the GPU can overlap them (a small guiding network fills what the main one leaves
 * idle). The side stream first waits for the current one (the shared input is ready), and the
 * current stream waits for the side stream before returning (the outputs are ready for what
 * follows on it). On the CPU backend, whose ops run synchronously on one thread pool, there is
 * nothing to overlap: {@link #enabled} is false there and callers run the two one after the other.
 *
 * <p>{@code guidance4j.concurrentGuide=false} (system property) turns it off on CUDA too.
 */
final class SideStreamRunner {
  private SideStreamRunner() {}

  private static final ExecutorService THREADS =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "guidance4j-side-stream");
            t.setDaemon(true);
            return t;
          });

  static boolean enabled(Device device) {
    return device.isCuda() && !"false".equals(System.getProperty("guidance4j.concurrentGuide"));
  }

  /** The pair of outputs; each owns its tensors. */
  record Pair(ModelOutputs.Parts first, ModelOutputs.Parts second) {}

  /**
   * Runs {@code first} here and {@code second} on {@code device}'s side stream at the same time.
   * On failure of either, whatever the other produced is closed and the first failure is thrown.
   */
  static Pair run(Device device, Supplier<ModelOutputs.Parts> first, Supplier<ModelOutputs.Parts> second) {
    Stream here = device.currentStream();
    Stream side = device.sideStream();
    side.waitFor(here);
    Future<ModelOutputs.Parts> other = THREADS.submit(() -> Device.callOn(side, second::get));
    ModelOutputs.Parts a;
    try {
      a = first.get();
    } catch (RuntimeException | Error e) {
      closeQuietly(join(other, e));
      here.waitFor(side);
      throw e;
    }
    ModelOutputs.Parts b;
    try {
      b = join(other, null);
    } catch (RuntimeException | Error e) {
      close(a.owners());
      here.waitFor(side);
      throw e;
    }
    here.waitFor(side);
    return new Pair(a, b);
  }

  /**
   * The side result; when {@code pending} is non-null the caller is already failing, so a side
   * failure is added to it as suppressed and null is returned.
   */
  private static ModelOutputs.Parts join(Future<ModelOutputs.Parts> f, Throwable pending) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      RuntimeException r = new IllegalStateException("interrupted while the guiding network ran", e);
      if (pending != null) {
        pending.addSuppressed(r);
        return null;
      }
      throw r;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (pending != null) {
        pending.addSuppressed(cause);
        return null;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException("the guiding network failed", cause);
    }
  }

  private static void closeQuietly(ModelOutputs.Parts p) {
    if (p != null) {
      close(p.owners());
    }
  }

  private static void close(List<Tensor> owners) {
    owners.forEach(Tensor::close);
  }
}
