package org.guidance4j.cli;

import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.NativeLibrary;
import org.guidance4j.core.VendorPath;

/** `guidance4j info-device`: the native library, CPU threads, CUDA devices or why there are none. */
final class DeviceInfo {
  private DeviceInfo() {}

  static int print() {
    System.out.println("native library: " + NativeLibrary.path() + " (C API " + NativeLibrary.apiVersion() + ")");
    System.out.println("cpu: " + Device.cpuThreads() + " threads, dtypes " + dtypes(Device.cpu()));
    System.out.println("cuda backend compiled: " + (Device.cudaCompiled() ? "yes" : "no"));
    int count = Device.cudaDeviceCount();
    if (count == 0) {
      System.out.println("cuda devices: 0 (" + Device.cudaUnavailableReason() + ")");
    } else {
      System.out.println("cuda devices: " + count);
      for (int i = 0; i < count; i++) {
        Device d = Device.cuda(i);
        long mib = d.totalMemory().orElse(0) >> 20;
        System.out.println("  " + d + ": " + d.name() + ", " + mib + " MiB, dtypes " + dtypes(d));
      }
    }
    if (Device.cudaCompiled()) {
      // Which conv2d / gemm path CUDA ops take: cuDNN and cuBLASLt when found, else our kernels.
      System.out.println("cuda vendor path: " + VendorPath.info().text());
    }
    System.out.println("best device: " + Device.best());
    return 0;
  }

  private static String dtypes(Device d) {
    StringBuilder sb = new StringBuilder();
    for (DType t : DType.values()) {
      if (d.supports(t)) {
        sb.append(sb.isEmpty() ? "" : " ").append(t);
      }
    }
    return sb.toString();
  }
}
