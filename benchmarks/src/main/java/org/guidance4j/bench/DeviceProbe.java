package org.guidance4j.bench;

import org.guidance4j.core.Device;

/**
 * Prints the benchmark devices this machine can run, comma-separated ("cpu" or "cpu,cuda"), and
 * on stderr why CUDA is absent: run.sh passes the list as {@code -p device=...}.
 */
public final class DeviceProbe {
  private DeviceProbe() {}

  public static void main(String[] args) {
    if (Device.cudaAvailable()) {
      System.out.println("cpu,cuda");
    } else {
      System.err.println("no CUDA benchmarks: " + Device.cudaUnavailableReason());
      System.out.println("cpu");
    }
  }
}
