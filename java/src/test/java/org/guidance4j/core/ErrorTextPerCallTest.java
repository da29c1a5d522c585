package org.guidance4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.guidance4j.bindings.guidance4j_h;
import org.junit.jupiter.api.Test;

/**
 * A native failure's text belongs to the call that failed, not to the OS thread that reads it:
 * a code checked on another thread, or by a virtual thread that moved to another carrier between
 * the call and the check, still gives that call's own text. With the thread-local text alone
 * (read through g4j_last_error at check time) both tests fail: the other thread has no text, and
 * the virtual threads read texts of calls made by others on their new carrier.
 */
class ErrorTextPerCallTest {
  private static MemorySegment cpu() {
    return Device.cpu().defaultStream().handle();
  }

  /** A call that fails in native validation with a text naming {@code n}. */
  private static int failingFill(long n) {
    return guidance4j_h.g4j_fill(cpu(), DType.F32.code(), n, 0f, MemorySegment.NULL);
  }

  @Test
  void aCodeCheckedOnAnotherThreadGivesItsOwnText() throws Exception {
    NativeLibrary.load();
    int code = failingFill(-4711);
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread other = Thread.ofPlatform().start(() -> {
      try {
        Status.check(code, "g4j_fill");
      } catch (Throwable t) {
        thrown.set(t);
      }
    });
    other.join();
    assertTrue(thrown.get() instanceof InvalidArgumentException, String.valueOf(thrown.get()));
    assertTrue(thrown.get().getMessage().contains("-4711"), thrown.get().getMessage());
  }

  /**
   * Many virtual threads on few carriers: each fails with its own n, yields (unmounting, so that
   * others run on its carrier and fail there), then checks its code.
   */
  @Test
  void virtualThreadsThatChangeCarriersKeepTheirOwnTexts() throws Exception {
    NativeLibrary.load();
    int threads = 200;
    ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> all = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      long n = -1_000_000L - i;
      all.add(Thread.ofVirtual().start(() -> {
        try {
          start.await();
          for (int round = 0; round < 5; round++) {
            int code = failingFill(n);
            Thread.yield();
            try {
              Status.check(code, "g4j_fill");
              wrong.add(n + ": no exception");
            } catch (InvalidArgumentException e) {
              if (!e.getMessage().contains("got " + n)) {
                wrong.add(n + " read: " + e.getMessage());
              }
            }
          }
        } catch (InterruptedException e) {
          wrong.add(n + ": interrupted");
        }
      }));
    }
    start.countDown();
    for (Thread t : all) {
      t.join();
    }
    assertEquals(List.of(), List.copyOf(wrong).subList(0, Math.min(5, wrong.size())),
        wrong.size() + " of " + threads * 5 + " checks read another call's text");
  }
}
