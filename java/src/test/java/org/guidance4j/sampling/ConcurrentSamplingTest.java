package org.guidance4j.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.guidance4j.bindings.guidance4j_h;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.NonFiniteInputException;
import org.guidance4j.core.NonFiniteSampleException;
import org.guidance4j.core.Status;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.AdmModel;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.guidance.ClassifierFree;
import org.guidance4j.guidance.Guidance;
import org.guidance4j.guidance.Unguided;
import org.junit.jupiter.api.Test;

/**
 * One process, many threads: a server keeps one loaded model and samples from many threads. Runs
 * on platform and virtual threads at once give exactly the samples of sequential runs; a thread's
 * failure (a bad input, a sample that goes non-finite, a native error) surfaces on that thread
 * alone, with its own details; closing the model while a thread samples is a clear error, not a
 * crash, and a model closed for good refuses further use.
 */
class ConcurrentSamplingTest {
  private static final int JOBS = 12; // half on platform threads, half on virtual threads
  private static final int REPEATS = 3;

  /** A CPU g4j_stream of the test's own, for raw native calls (never destroyed: it is tiny). */
  private static final MemorySegment RAW_CPU_STREAM = rawCpuStream();

  private static MemorySegment rawCpuStream() {
    org.guidance4j.core.NativeLibrary.load();
    try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
      MemorySegment out = arena.allocate(java.lang.foreign.ValueLayout.ADDRESS);
      Status.check(guidance4j_h.g4j_stream_create(-1, out), "g4j_stream_create");
      return out.get(java.lang.foreign.ValueLayout.ADDRESS, 0);
    }
  }

  /** The model with sample {@code sample}'s output set to NaN at forward call {@code step} (one call per DDIM step). */
  static final class NaNAtStep extends org.guidance4j.diffusion.ForwardingModel {
    private final int sample;
    private final int step;
    private int calls;

    NaNAtStep(DiffusionModel inner, int sample, int step) {
      super(inner);
      this.sample = sample;
      this.step = step;
    }

    @Override
    public Tensor forward(Tensor x, float[] noiseInputs, long[] labels) {
      Tensor out = inner.forward(x, noiseInputs, labels);
      if (++calls != step) {
        return out;
      }
      try (out) {
        float[] v = out.toFloatArray();
        v[(int) (sample * (v.length / out.dim(0))) + 5] = Float.NaN;
        return Tensor.fromArray(out.device(), v, out.shape());
      }
    }
  }

  /** Job i: its own seed, classes, guidance and stochastic DDIM steps. */
  private static float[] run(DiffusionModel model, int i) {
    Guidance g = i % 2 == 0 ? new Unguided(model) : new ClassifierFree(model, 1.5 + i * 0.25);
    long[] labels = {i % 10, (i + 3) % 10, (i + 7) % 10};
    try (Tensor t = SamplingRun.of(model).sampler(DiscreteSampler.ddim("ddim3", true, 1.0)).guidance(g).batch(2)
        .sample(3, labels, 1000L + i)) {
      return t.toFloatArray();
    }
  }

  @Test
  void platformAndVirtualThreadsGiveTheSequentialSamplesAndKeepTheirOwnErrors() throws Exception {
    try (AdmModel model = AdmModel.load(SamplerCases.model("adm/unet_c"), Device.cpu(), DType.F32)) {
      List<float[]> sequential = new ArrayList<>();
      for (int i = 0; i < JOBS; i++) {
        sequential.add(run(model, i));
      }
      Map<String, String> problems = new ConcurrentHashMap<>();
      AtomicInteger failuresSeen = new AtomicInteger();
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < JOBS; i++) {
        int job = i;
        Runnable good = () -> {
          await(start);
          for (int r = 0; r < REPEATS; r++) {
            try {
              float[] got = run(model, job);
              if (!java.util.Arrays.equals(sequential.get(job), got)) {
                problems.put("job " + job + " repeat " + r, "samples differ from the sequential run");
              }
            } catch (Throwable t) {
              problems.put("job " + job + " repeat " + r, "threw " + t);
            }
          }
        };
        threads.add(i % 2 == 0 ? Thread.ofPlatform().unstarted(good) : Thread.ofVirtual().unstarted(good));
        // beside each good job, one that fails in its own way, on the other kind of thread
        Runnable bad = () -> {
          await(start);
          for (int r = 0; r < REPEATS; r++) {
            String own = failOwnWay(model, job, r);
            if (own != null) {
              problems.put("failing job " + job + " repeat " + r, own);
            } else {
              failuresSeen.incrementAndGet();
            }
          }
        };
        threads.add(i % 2 == 0 ? Thread.ofVirtual().unstarted(bad) : Thread.ofPlatform().unstarted(bad));
      }
      threads.forEach(Thread::start);
      start.countDown();
      for (Thread t : threads) {
        t.join();
      }
      assertEquals(Map.of(), Map.copyOf(problems));
      assertEquals(JOBS * REPEATS, failuresSeen.get());
    }
  }

  /**
   * Fails in a way only this job does, and checks that the failure it gets is its own; returns
   * what was wrong, or null.
   */
  private static String failOwnWay(AdmModel model, int job, int repeat) {
    switch ((job + repeat) % 3) {
      case 0 -> {
        // a NaN at an element index unique to this job
        int index = 100 + job;
        float[] noise = new float[2 * 3 * 16 * 16];
        noise[index] = Float.NaN;
        try (Tensor x = Tensor.fromArray(Device.cpu(), noise, 2, 3, 16, 16)) {
          SamplingRun.of(model).sampler(DiscreteSampler.ddim("ddim3", true, 0)).initialNoise(x).sample(2, new long[] {1, 2}, 0);
          return "no exception for a NaN in the initial noise";
        } catch (NonFiniteInputException e) {
          return e.index() == index ? null : "got element " + e.index() + ", expected " + index + ": " + e.getMessage();
        }
      }
      case 1 -> {
        // a model that goes NaN in sample (job % 3) at step 1 + job % 2
        int sample = job % 3;
        int step = 1 + job % 2;
        try {
          SamplingRun.of(new NaNAtStep(model, sample, step)).sampler(DiscreteSampler.ddim("ddim3", false, 0)).batch(3)
              .sample(3, new long[] {1, 2, 3}, job);
          return "no exception for a non-finite sample";
        } catch (NonFiniteSampleException e) {
          return e.sample() == sample && e.step() == step
              ? null
              : "got sample " + e.sample() + " step " + e.step() + ", expected " + sample + ", " + step + ": " + e.getMessage();
        }
      }
      default -> {
        // a native argument error whose text names a number unique to this job
        long n = -(7000 + 100L * job + repeat);
        int code = guidance4j_h.g4j_fill(RAW_CPU_STREAM, DType.F32.code(), n, 0f, MemorySegment.NULL);
        Thread.yield(); // a virtual thread may move to another carrier here
        try {
          Status.check(code, "g4j_fill");
          return "no exception for a native failure";
        } catch (InvalidArgumentException e) {
          return e.getMessage().contains("got " + n + ")") || e.getMessage().endsWith("got " + n)
              ? null
              : "native text of another call: " + e.getMessage();
        }
      }
    }
  }

  /**
   * Closing a model that another thread is sampling from is refused, clearly, and the sampler goes
   * on; a close that lands between two forwards succeeds and the sampler then fails cleanly; a
   * closed model refuses use. Repeated with fresh models until a close has landed inside a forward.
   */
  @Test
  void closingAModelInUseIsAClearErrorNotACrash() throws Exception {
    int refused = 0;
    for (int attempt = 0; attempt < 10 && refused == 0; attempt++) {
      refused += closeWhileSampling();
    }
    assertTrue(refused > 0, "no close landed inside a forward in 10 attempts");
  }

  /** One model, one sampling thread, close attempts from here; returns how many were refused. */
  private static int closeWhileSampling() throws Exception {
    AdmModel model = AdmModel.load(SamplerCases.model("adm/unet_c"), Device.cpu(), DType.F32);
    AtomicBoolean stop = new AtomicBoolean();
    List<Throwable> samplerFailures = new ArrayList<>();
    CountDownLatch sampling = new CountDownLatch(1);
    Thread sampler = Thread.ofVirtual().start(() -> {
      try {
        for (int seed = 0; !stop.get(); seed++) {
          try (Tensor t = SamplingRun.of(model).sampler(DiscreteSampler.ddim("ddim8", true, 0)).batch(16)
              .listener(p -> sampling.countDown())
              .sample(16, SamplingRun.classes(16, 1, 2), seed)) {
            assertEquals(16 * 3 * 16 * 16, t.numel());
          }
        }
      } catch (Throwable t) {
        synchronized (samplerFailures) {
          samplerFailures.add(t);
        }
      }
    });
    sampling.await(); // a step has finished: the sampler is in its loop of forwards
    Thread.sleep(10);
    int refused = 0;
    boolean closed = false;
    while (refused < 3 && !closed) {
      try {
        model.close();
        closed = true; // landed between two forwards: the sampler must now fail cleanly
      } catch (IllegalStateException e) {
        assertTrue(e.getMessage().contains("in use by 1 running call") && e.getMessage().contains("nothing was closed"),
            e.getMessage());
        refused++;
        Thread.sleep(3);
      }
    }
    stop.set(true);
    sampler.join();
    synchronized (samplerFailures) {
      if (closed) {
        assertEquals(1, samplerFailures.size(), "the sampler stops at its next forward: " + samplerFailures);
      }
      for (Throwable t : samplerFailures) {
        assertTrue(t instanceof IllegalStateException && t.getMessage().contains("is closed"), String.valueOf(t));
      }
    }
    model.close(); // idle now, or closed already (a no-op)
    IllegalStateException after = assertThrows(IllegalStateException.class,
        () -> SamplingRun.of(model).sampler(DiscreteSampler.ddim("ddim2", true, 0)).sample(1, new long[] {1}, 0));
    assertTrue(after.getMessage().contains("is closed"), after.getMessage());
    return refused;
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
