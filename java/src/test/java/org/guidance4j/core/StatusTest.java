package org.guidance4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import org.guidance4j.bindings.guidance4j_h;
import org.junit.jupiter.api.Test;

class StatusTest {
  private static MemorySegment cpuStream() {
    return Device.cpu().defaultStream().handle();
  }

  @Test
  void okDoesNotThrow() {
    Status.check(guidance4j_h.G4J_OK(), "nothing");
  }

  @Test
  void aNullOutputIsAnInvalidArgumentCarryingTheNativeText() {
    NativeLibrary.load();
    int status = guidance4j_h.g4j_fill(cpuStream(), DType.F32.code(), 16, 1f, MemorySegment.NULL);
    String nativeText = Status.message(status);
    assertEquals(guidance4j_h.G4J_ERR_INVALID_ARGUMENT(), Status.statusOf(status));
    assertEquals(nativeText, Status.lastError(), "the same text as this OS thread's last error");
    assertFalse(nativeText.isBlank(), "the library must explain the failure");
    InvalidArgumentException e =
        assertThrows(InvalidArgumentException.class, () -> Status.check(status, "g4j_fill"));
    assertTrue(e.getMessage().startsWith("g4j_fill failed: "), e.getMessage());
    assertTrue(e.getMessage().contains(nativeText), e.getMessage());
    assertEquals("g4j_fill", e.operation());
  }

  @Test
  void anUnknownDtypeIsAnInvalidArgument() {
    NativeLibrary.load();
    try (Tensor t = Tensor.empty(Device.cpu(), DType.F32, 4)) {
      int status = guidance4j_h.g4j_fill(cpuStream(), 7, 4, 0f, t.ptr());
      assertThrows(InvalidArgumentException.class, () -> Status.check(status, "g4j_fill"));
    }
  }

  @Test
  void everyStatusMapsToItsException() {
    NativeLibrary.load();
    assertInstanceOf(InvalidArgumentException.class, Status.exceptionFor(guidance4j_h.G4J_ERR_INVALID_ARGUMENT(), "op", "t"));
    assertInstanceOf(OutOfDeviceMemoryException.class, Status.exceptionFor(guidance4j_h.G4J_ERR_OUT_OF_MEMORY(), "op", "t"));
    assertInstanceOf(NoDeviceException.class, Status.exceptionFor(guidance4j_h.G4J_ERR_NO_DEVICE(), "op", "t"));
    assertInstanceOf(UnsupportedOnDeviceException.class, Status.exceptionFor(guidance4j_h.G4J_ERR_UNSUPPORTED(), "op", "t"));
    assertInstanceOf(CudaException.class, Status.exceptionFor(guidance4j_h.G4J_ERR_CUDA(), "op", "t"));
    assertInstanceOf(NativeInternalException.class, Status.exceptionFor(guidance4j_h.G4J_ERR_INTERNAL(), "op", "t"));
    Guidance4jException unknown = Status.exceptionFor(99, "op", "t");
    assertInstanceOf(NativeInternalException.class, unknown);
    assertTrue(unknown.getMessage().contains("99"), unknown.getMessage());
  }

  @Test
  void f16OnTheCpuBackendIsUnsupported() {
    assumeCpuLacks(DType.F16);
    try (Tensor t = Tensor.empty(Device.cpu(), DType.F16, 8)) {
      UnsupportedOnDeviceException e = assertThrows(UnsupportedOnDeviceException.class, () -> Ops.silu(t));
      assertTrue(e.getMessage().contains("g4j_silu"), e.getMessage());
    }
  }

  private static void assumeCpuLacks(DType t) {
    org.junit.jupiter.api.Assumptions.assumeFalse(Device.cpu().supports(t), "the CPU backend computes in " + t);
  }
}
