package org.guidance4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The guard networks use: a close while a call runs is refused and frees nothing; after the close, calls fail. */
class UseGuardTest {
  @Test
  void closeWaitsForNoCallAndThenRefusesCalls() throws Exception {
    UseGuard guard = new UseGuard("net x");
    AtomicInteger released = new AtomicInteger();
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    Thread caller = Thread.ofVirtual().start(() -> guard.run(() -> {
      inside.countDown();
      try {
        finish.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return 1;
    }));
    inside.await();
    IllegalStateException busy = assertThrows(IllegalStateException.class, () -> guard.close(released::incrementAndGet));
    assertEquals("net x is in use by 1 running call on other threads: close it after they have finished (nothing was closed)",
        busy.getMessage());
    assertEquals(0, released.get());
    assertEquals(7, guard.run(() -> 7)); // still usable
    finish.countDown();
    caller.join();
    guard.close(released::incrementAndGet);
    guard.close(released::incrementAndGet); // idempotent
    assertEquals(1, released.get());
    IllegalStateException closed = assertThrows(IllegalStateException.class, () -> guard.run(() -> 1));
    assertTrue(closed.getMessage().startsWith("net x is closed"), closed.getMessage());
  }
}
