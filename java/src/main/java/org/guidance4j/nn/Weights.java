package org.guidance4j.nn;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.NonFinite;
import org.guidance4j.core.NonFiniteWeightException;
import org.guidance4j.core.Tensor;
import org.guidance4j.io.SafetensorsEntry;
import org.guidance4j.io.SafetensorsFile;

/**
 * Hands a network its parameters from a checkpoint, by key, checking each shape, and afterwards
 * that every tensor of the checkpoint was used. Layers ask with their own key names, so loading
 * is a walk over the network, not a translation table.
 *
 * <p>On the CPU an F32 tensor is a zero-copy view of the memory-mapped file (the file must stay
 * open as long as the network); other dtypes and devices get one converted copy per tensor.
 *
 * <p>Every tensor is checked for NaNs and infinities as it is taken (one pass of the CPU backend
 * over the mapped bytes, see benchmarks/RESULTS.md for its cost next to reading the file), and
 * again after a conversion to a narrower compute dtype, which can overflow: a bad weight is a
 * {@link NonFiniteWeightException} naming the key and the first bad element, at load time rather
 * than as NaN samples later.
 */
public final class Weights {
  private final SafetensorsFile file;
  private final Device device;
  private final DType dtype;
  private final Set<String> used = new HashSet<>();
  private final List<Tensor> loaded = new ArrayList<>();

  public Weights(SafetensorsFile file, Device device, DType dtype) {
    this.file = file;
    this.device = device;
    this.dtype = dtype;
  }

  public Device device() {
    return device;
  }

  public DType dtype() {
    return dtype;
  }

  /** Whether the checkpoint holds {@code key} (for optional parameters). */
  public boolean has(String key) {
    return file.contains(key);
  }

  /** The shape stored under {@code key}, or fails naming the key. */
  public long[] shapeOf(String key) {
    return entry(key, null).shape();
  }

  /** The tensor under {@code key}, which must have exactly {@code shape}. */
  public Tensor take(String key, long... shape) {
    SafetensorsEntry e = entry(key, shape);
    if (!Arrays.equals(e.shape(), shape)) {
      throw new CheckpointMismatchException(
          file.name(), key, "has shape " + Arrays.toString(e.shape()) + ", expected " + Arrays.toString(shape));
    }
    if (!e.dtype().isFloatData()) {
      throw new CheckpointMismatchException(
          file.name(), key, "has dtype " + e.dtype() + ", expected F32, F16 or BF16");
    }
    used.add(key);
    Tensor t = materialise(e);
    loaded.add(t);
    return t;
  }

  /** Fails, listing them, if the checkpoint has tensors no layer asked for. */
  public void requireAllUsed() {
    Set<String> unused = new TreeSet<>(file.keys());
    unused.removeAll(used);
    if (!unused.isEmpty()) {
      throw new CheckpointMismatchException(
          file.name(),
          null,
          unused.size() + " tensor(s) the config's network does not have: " + preview(unused)
              + " (does config.json describe this checkpoint?)");
    }
  }

  /** Closes every tensor handed out (the network's close()); the file stays the caller's. */
  public void closeTensors() {
    for (Tensor t : loaded) {
      t.close();
    }
    loaded.clear();
  }

  private SafetensorsEntry entry(String key, long[] expected) {
    return file.find(key)
        .orElseThrow(
            () ->
                new CheckpointMismatchException(
                    file.name(),
                    key,
                    "missing"
                        + (expected == null ? "" : " (expected shape " + Arrays.toString(expected) + ")")
                        + " (does config.json describe this checkpoint?)"));
  }

  private Tensor materialise(SafetensorsEntry e) {
    DType stored = DType.valueOf(e.dtype().name());
    MemorySegment data = e.data();
    long[] shape = e.shape();
    Tensor host;
    if (data.address() % stored.byteSize() == 0) {
      host = Tensor.wrap(data, stored, shape);
    } else {
      // a checkpoint written without alignment: one aligned copy
      host = Tensor.empty(Device.cpu(), stored, shape);
      MemorySegment.copy(data, 0, host.segment(), 0, data.byteSize());
    }
    try {
      requireFinite(e, host, "");
    } catch (RuntimeException failure) {
      host.close();
      throw failure;
    }
    if (stored == dtype && device.isCpu()) {
      return host;
    }
    try (Tensor owned = host) {
      Tensor onDevice = device.isCpu() ? host : host.copyTo(device);
      if (stored == dtype) {
        return onDevice;
      }
      try (Tensor toClose = onDevice == host ? null : onDevice) {
        Tensor converted = onDevice.to(dtype);
        try {
          requireFinite(e, converted, " after conversion from " + stored + " to " + dtype + " (outside its range)");
          return converted;
        } catch (RuntimeException failure) {
          converted.close();
          throw failure;
        }
      }
    }
  }

  private void requireFinite(SafetensorsEntry e, Tensor t, String context) {
    if (NonFinite.any(t)) {
      long i = NonFinite.firstIndex(t);
      throw new NonFiniteWeightException(file.name(), e.key(), e.shape(), i, NonFinite.valueAt(t, i), context);
    }
  }

  private static String preview(Set<String> keys) {
    List<String> list = new ArrayList<>(keys);
    String shown = String.join(", ", list.subList(0, Math.min(8, list.size())));
    return list.size() > 8 ? shown + ", ..." : shown;
  }
}
