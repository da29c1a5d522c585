package org.guidance4j.core;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import org.guidance4j.bindings.guidance4j_h;

/**
 * Where a tensor lives and its ops run: the CPU backend or one CUDA device. One instance per
 * device (so its default stream is shared by everyone using the device).
 */
public final class Device {
  public enum Kind {
    CPU,
    CUDA
  }

  /** Bytes handed out by g4j_malloc and not yet freed, and bytes the device's pool holds. */
  public record MemoryStats(long inUse, long reserved) {}

  private static final System.Logger LOG = System.getLogger(Device.class.getName());
  private static final Device CPU = new Device(Kind.CPU, -1);
  private static final ConcurrentHashMap<Integer, Device> CUDA = new ConcurrentHashMap<>();

  private final Kind kind;
  private final int index;
  private volatile Stream defaultStream;
  private volatile Stream sideStream;

  /** The stream a thread's ops go to while {@link #callOn} runs (on that stream's device only). */
  private static final ScopedValue<Stream> CURRENT = ScopedValue.newInstance();

  private Device(Kind kind, int index) {
    this.kind = kind;
    this.index = index;
  }

  public static Device cpu() {
    return CPU;
  }

  /** CUDA device {@code index}; a {@link NoDeviceException} with the reason when there is none. */
  public static Device cuda(int index) {
    if (index < 0) {
      throw new InvalidArgumentException("Device.cuda", "CUDA device index must be >= 0, got " + index);
    }
    int count = cudaDeviceCount();
    if (index >= count) {
      throw new NoDeviceException(
          "Device.cuda",
          count == 0
              ? "no CUDA device: " + cudaUnavailableReason()
              : "CUDA device " + index + " requested, but this machine has " + count);
    }
    return CUDA.computeIfAbsent(index, i -> new Device(Kind.CUDA, i));
  }

  /** CUDA device 0 when there is one, else the CPU (the reason is in {@link #cudaUnavailableReason()}). */
  public static Device best() {
    if (cudaAvailable()) {
      return cuda(0);
    }
    LOG.log(System.Logger.Level.DEBUG, "using the CPU: {0}", cudaUnavailableReason());
    return CPU;
  }

  /** "cpu", "cuda", "cuda:N" or "best" (as on the command line). */
  public static Device parse(String spec) {
    String s = spec.trim().toLowerCase(Locale.ROOT);
    if (s.equals("cpu")) {
      return cpu();
    } else if (s.equals("best") || s.equals("auto")) {
      return best();
    } else if (s.equals("cuda") || s.equals("gpu")) {
      return cuda(0);
    } else if (s.startsWith("cuda:")) {
      try {
        return cuda(Integer.parseInt(s.substring(5)));
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw new InvalidArgumentException(
        "Device.parse", "unknown device '" + spec + "': use cpu, cuda, cuda:N or best");
  }

  public static boolean cudaAvailable() {
    return probe().count() > 0;
  }

  public static int cudaDeviceCount() {
    return probe().count();
  }

  /** Why there is no CUDA device ("" when there is one): no backend built, no driver, no device. */
  public static String cudaUnavailableReason() {
    return probe().reason();
  }

  /** Whether the loaded library contains the CUDA backend at all. */
  public static boolean cudaCompiled() {
    NativeLibrary.load();
    return guidance4j_h.g4j_cuda_compiled() != 0;
  }

  /** Threads of the CPU backend's pool. */
  public static int cpuThreads() {
    NativeLibrary.load();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment out = arena.allocate(ValueLayout.JAVA_INT);
      Status.check(guidance4j_h.g4j_get_num_threads(out), "g4j_get_num_threads");
      return out.get(ValueLayout.JAVA_INT, 0);
    }
  }

  public static void setCpuThreads(int threads) {
    NativeLibrary.load();
    Status.check(guidance4j_h.g4j_set_num_threads(threads), "g4j_set_num_threads");
  }

  public Kind kind() {
    return kind;
  }

  /** The CUDA device index, -1 for the CPU. */
  public int index() {
    return index;
  }

  public boolean isCpu() {
    return kind == Kind.CPU;
  }

  public boolean isCuda() {
    return kind == Kind.CUDA;
  }

  /** The device argument of g4j_stream_create: negative for the CPU backend. */
  int nativeIndex() {
    return index;
  }

  /** The stream ops on this device's tensors run on; created on first use, never closed. */
  public Stream defaultStream() {
    Stream s = defaultStream;
    if (s == null) {
      synchronized (this) {
        s = defaultStream;
        if (s == null) {
          s = Stream.create(this, true);
          defaultStream = s;
        }
      }
    }
    return s;
  }

  /**
   * A second stream of this device, for work that overlaps the default stream's (the guiding
   * network of autoguidance); created on first use, never closed.
   */
  public Stream sideStream() {
    Stream s = sideStream;
    if (s == null) {
      synchronized (this) {
        s = sideStream;
        if (s == null) {
          s = Stream.create(this, true);
          sideStream = s;
        }
      }
    }
    return s;
  }

  /**
   * The stream ops on this device's tensors run on in the calling thread: the one {@link #callOn}
   * bound, when it belongs to this device, else the default stream. Allocation and freeing go
   * through it too (the CUDA pool is stream-ordered, and reuse across streams follows their
   * event dependencies).
   */
  public Stream currentStream() {
    if (CURRENT.isBound()) {
      Stream s = CURRENT.get();
      if (s.device().equals(this)) {
        return s;
      }
    }
    return defaultStream();
  }

  /**
   * Runs {@code op} in the calling thread with ops on {@code stream}'s device going to
   * {@code stream}. Whoever uses the results on another stream makes that stream wait for this
   * one first ({@link Stream#waitFor}).
   */
  public static <T> T callOn(Stream stream, java.util.concurrent.Callable<T> op) throws Exception {
    return ScopedValue.where(CURRENT, stream).call(op::call);
  }

  /** Waits for the default and side streams of every CUDA device in use (before freeing pinned memory). */
  static void synchronizeCudaDevices() {
    for (Device d : CUDA.values()) {
      for (Stream s : new Stream[] {d.defaultStream, d.sideStream}) {
        if (s != null) {
          s.synchronize();
        }
      }
    }
  }

  /** Waits for all work on the default stream (and the side stream, when it was used). */
  public void synchronize() {
    defaultStream().synchronize();
    Stream side = sideStream;
    if (side != null) {
      side.synchronize();
    }
  }

  /** Whether ops on this device compute in {@code dtype} (the CPU backend: F32 only). */
  public boolean supports(DType dtype) {
    NativeLibrary.load();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment out = arena.allocate(ValueLayout.JAVA_INT);
      Status.check(
          guidance4j_h.g4j_device_supports_dtype(index, dtype.code(), out),
          "g4j_device_supports_dtype");
      return out.get(ValueLayout.JAVA_INT, 0) != 0;
    }
  }

  /** The CUDA device's name, or "CPU". */
  public String name() {
    return isCpu() ? "CPU" : cudaInfo().name;
  }

  /** Total memory of a CUDA device; empty for the CPU. */
  public OptionalLong totalMemory() {
    return isCpu() ? OptionalLong.empty() : OptionalLong.of(cudaInfo().totalBytes);
  }

  public MemoryStats memoryStats() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment inUse = arena.allocate(ValueLayout.JAVA_LONG);
      MemorySegment reserved = arena.allocate(ValueLayout.JAVA_LONG);
      Status.check(
          guidance4j_h.g4j_memory_stats(defaultStream().handle(), inUse, reserved),
          "g4j_memory_stats");
      return new MemoryStats(inUse.get(ValueLayout.JAVA_LONG, 0), reserved.get(ValueLayout.JAVA_LONG, 0));
    }
  }

  private record CudaInfo(String name, long totalBytes) {}

  private CudaInfo cudaInfo() {
    try (Arena arena = Arena.ofConfined()) {
      int cap = 256;
      MemorySegment name = arena.allocate(cap);
      MemorySegment total = arena.allocate(ValueLayout.JAVA_LONG);
      Status.check(guidance4j_h.g4j_cuda_device_info(index, name, cap, total), "g4j_cuda_device_info");
      return new CudaInfo(name.getString(0), total.get(ValueLayout.JAVA_LONG, 0));
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Device d && d.kind == kind && d.index == index;
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + index;
  }

  @Override
  public String toString() {
    return isCpu() ? "cpu" : "cuda:" + index;
  }

  private record CudaProbe(int count, String reason) {}

  private static volatile CudaProbe cudaProbe;

  /** Asks the library once: the answer cannot change while the process runs. */
  private static CudaProbe probe() {
    CudaProbe p = cudaProbe;
    if (p != null) {
      return p;
    }
    synchronized (Device.class) {
      if (cudaProbe == null) {
        NativeLibrary.load();
        try (Arena arena = Arena.ofConfined()) {
          int cap = 1024;
          MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
          MemorySegment reason = arena.allocate(cap);
          Status.check(
              guidance4j_h.g4j_cuda_device_count(count, reason, cap), "g4j_cuda_device_count");
          int n = count.get(ValueLayout.JAVA_INT, 0);
          String text = reason.getString(0);
          cudaProbe = new CudaProbe(n, n > 0 ? "" : text.isBlank() ? "no CUDA device found" : text);
        }
      }
      return cudaProbe;
    }
  }
}
