package org.guidance4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WrapTest {
  @TempDir Path tmp;

  @Test
  void aMemoryMappedRegionIsWrappedWithoutCopying() throws Exception {
    Path file = tmp.resolve("weights.bin");
    long offset = 128; // a tensor region after a header, as in a safetensors file
    int n = 2 * 3;
    try (FileChannel ch =
            FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        Arena arena = Arena.ofConfined()) {
      ch.write(ByteBuffer.allocate((int) offset + n * 4), 0);
      MemorySegment mapping = ch.map(FileChannel.MapMode.READ_WRITE, 0, offset + n * 4, arena);
      MemorySegment region = mapping.asSlice(offset, n * 4L);

      Tensor t = Tensor.wrap(region, DType.F32, 2, 3);
      assertFalse(t.ownsMemory());
      assertEquals(region.address(), t.segment().address(), "zero-copy: the tensor is the mapping");

      // written through the file mapping, read through the tensor
      for (int i = 0; i < n; i++) {
        region.setAtIndex(ValueLayout.JAVA_FLOAT, i, i + 0.5f);
      }
      assertArrayEquals(new float[] {0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f}, t.toFloatArray());

      // written by an op through the tensor, read from the file
      Ops.scaleInto(t, 2f, t);
      mapping.force();
      ByteBuffer back = ByteBuffer.allocate(n * 4).order(ByteOrder.nativeOrder());
      ch.read(back, offset);
      back.flip();
      for (int i = 0; i < n; i++) {
        assertEquals(2 * i + 1f, back.getFloat(), "element " + i);
      }

      t.close();
      assertTrue(arena.scope().isAlive(), "closing a wrap leaves the mapping alone");
      assertEquals(1f, region.getAtIndex(ValueLayout.JAVA_FLOAT, 0));
    }
  }

  @Test
  void aWrapOfAClosedArenaFailsInsteadOfReadingFreedMemory() {
    Arena arena = Arena.ofConfined();
    Tensor t = Tensor.wrap(arena.allocate(24, 64), DType.F32, 6);
    arena.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, t::toFloatArray);
    assertTrue(e.getMessage().contains("no longer valid"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> Ops.fill(t, 0f));
    t.close();
  }

  @Test
  void readOnlyMappingsCannotBeWritten() throws Exception {
    Path file = tmp.resolve("ro.bin");
    try (FileChannel ch =
            FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        Arena arena = Arena.ofConfined()) {
      ch.write(ByteBuffer.allocate(16), 0);
      MemorySegment ro = ch.map(FileChannel.MapMode.READ_ONLY, 0, 16, arena);
      try (Tensor t = Tensor.wrap(ro, DType.F32, 4)) {
        assertArrayEquals(new float[4], t.toFloatArray());
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> Ops.fill(t, 1f));
        assertTrue(e.getMessage().contains("read-only"), e.getMessage());
      }
    }
  }

  @Test
  void wrapChecksSizeAlignmentAndHeapSegments() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment s = arena.allocate(16, 64);
      assertThrows(InvalidArgumentException.class, () -> Tensor.wrap(s, DType.F32, 5));
      assertThrows(InvalidArgumentException.class, () -> Tensor.wrap(s.asSlice(2), DType.F32, 2));
      InvalidArgumentException heap =
          assertThrows(InvalidArgumentException.class, () -> Tensor.wrap(MemorySegment.ofArray(new float[4]), DType.F32, 4));
      assertTrue(heap.getMessage().contains("heap"), heap.getMessage());
      try (Tensor t = Tensor.wrap(Device.cpu(), s, DType.F32, 4)) {
        assertEquals(s.address(), t.segment().address());
      }
    }
  }
}
