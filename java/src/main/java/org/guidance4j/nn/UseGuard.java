package org.guidance4j.nn;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Makes a network safe to share between threads and to close: every call runs inside {@link #run}
 * (counted), {@link #close} frees the weights only when no call is running, and a call after the
 * close fails at once. Closing a network that another thread is using is then a clear
 * {@link IllegalStateException}, not native code reading freed memory.
 */
public final class UseGuard {
  private static final int CLOSED = -1;

  private final String what;
  private final AtomicInteger running = new AtomicInteger(); // calls in progress, or CLOSED

  /** @param what the network, for messages ("AdmUNet models/digits-unet/model.safetensors") */
  public UseGuard(String what) {
    this.what = what;
  }

  /** Runs {@code call} counted as a use; fails if the network is closed. */
  public <T> T run(Supplier<T> call) {
    for (;;) {
      int n = running.get();
      if (n == CLOSED) {
        throw new IllegalStateException(what + " is closed: load it again to use it");
      }
      if (running.compareAndSet(n, n + 1)) {
        break;
      }
    }
    try {
      return call.get();
    } finally {
      running.decrementAndGet();
    }
  }

  /**
   * Runs {@code release} once, when no call is in progress; a second close does nothing.
   *
   * @throws IllegalStateException while other threads are running calls (nothing is released)
   */
  public void close(Runnable release) {
    for (;;) {
      int n = running.get();
      if (n == CLOSED) {
        return;
      }
      if (n > 0) {
        throw new IllegalStateException(
            what + " is in use by " + n + " running call" + (n > 1 ? "s" : "")
                + " on other threads: close it after they have finished (nothing was closed)");
      }
      if (running.compareAndSet(0, CLOSED)) {
        break;
      }
    }
    release.run();
  }
}
