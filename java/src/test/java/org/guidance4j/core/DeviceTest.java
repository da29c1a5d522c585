package org.guidance4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DeviceTest {
  @Test
  void bestIsCudaZeroExactlyWhenCudaIsAvailable() {
    Device best = Device.best();
    if (Device.cudaAvailable()) {
      assertEquals(Device.cuda(0), best);
      assertEquals("", Device.cudaUnavailableReason());
    } else {
      assertEquals(Device.cpu(), best);
      assertFalse(Device.cudaUnavailableReason().isBlank(), "no CUDA device, so a reason is expected");
    }
  }

  @Test
  void withoutCudaAskingForADeviceGivesTheReason() {
    org.junit.jupiter.api.Assumptions.assumeFalse(Device.cudaAvailable(), "this machine has a CUDA device");
    NoDeviceException e = assertThrows(NoDeviceException.class, () -> Device.cuda(0));
    assertTrue(e.getMessage().contains(Device.cudaUnavailableReason()), e.getMessage());
    assertEquals(0, Device.cudaDeviceCount());
  }

  @Test
  void identityAndParsing() {
    assertSame(Device.cpu(), Device.parse("cpu"));
    assertEquals(Device.cpu(), Device.parse(" CPU "));
    assertEquals(Device.best(), Device.parse("best"));
    assertEquals(Device.cpu().hashCode(), Device.cpu().hashCode());
    assertEquals("cpu", Device.cpu().toString());
    assertThrows(InvalidArgumentException.class, () -> Device.parse("tpu"));
    assertThrows(InvalidArgumentException.class, () -> Device.cuda(-1));
    if (Device.cudaAvailable()) {
      assertEquals(Device.cuda(0), Device.parse("cuda:0"));
      assertNotEquals(Device.cpu(), Device.cuda(0));
    }
  }

  @Test
  void cpuFacts() {
    assertTrue(Device.cpuThreads() >= 1);
    assertTrue(Device.cpu().supports(DType.F32));
    assertTrue(Device.cpu().isCpu());
    assertEquals(-1, Device.cpu().index());
    assertTrue(Device.cpu().totalMemory().isEmpty());
  }

  @Test
  void defaultStreamIsSharedAndSurvivesClose() {
    Stream s = Device.cpu().defaultStream();
    assertSame(s, Device.cpu().defaultStream());
    s.close();
    assertFalse(s.isClosed());
    s.synchronize();
  }

  @Test
  void streamsCloseIdempotently() {
    Stream a = Stream.create(Device.cpu());
    try (Stream b = Stream.create(Device.cpu())) {
      a.waitFor(b);
      b.waitFor(a);
      a.synchronize();
    }
    a.close();
    a.close();
    assertTrue(a.isClosed());
    assertThrows(IllegalStateException.class, a::synchronize);
  }

  @Test
  void pinnedBuffersCloseIdempotently() {
    PinnedBuffer p = PinnedBuffer.allocate(256);
    p.segment().fill((byte) 7);
    assertEquals(7, p.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 255));
    assertEquals(256, p.byteSize());
    p.close();
    p.close();
    assertThrows(IllegalStateException.class, p::segment);
  }
}
