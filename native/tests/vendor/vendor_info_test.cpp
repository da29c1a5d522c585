// g4j_cuda_vendor_info and g4j_cuda_set_vendor under one environment that ctest sets per case
// (CMakeLists.txt: fake libraries, missing files, the switch). Usage:
//   g4j_vendor_info_test ACTIVE_MASK TEXT...
// passes when the info line's mask is ACTIVE_MASK and it contains every TEXT. A library built
// without CUDA expects its own sentence instead, whatever the case. Then the run-time switch:
// off gives mask 0 and says so; on again gives the first answer back.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "guidance4j.h"

namespace {

std::string info(int* mask) {
  char text[2048] = "";
  if (g4j_cuda_vendor_info(mask, text, sizeof text) != G4J_OK) {
    std::printf("FAIL: g4j_cuda_vendor_info: %s\n", g4j_last_error());
    std::exit(1);
  }
  return text;
}

bool contains(const std::string& text, const char* part) {
  if (text.find(part) != std::string::npos) return true;
  std::printf("FAIL: expected \"%s\" in: %s\n", part, text.c_str());
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::printf("usage: g4j_vendor_info_test ACTIVE_MASK TEXT...\n");
    return 2;
  }
  int mask = -1;
  const std::string text = info(&mask);
  std::printf("vendor info: mask %d: %s\n", mask, text.c_str());
  bool ok = true;
  if (!g4j_cuda_compiled()) {
    ok = mask == 0 && contains(text, "built without the CUDA backend");
  } else {
    if (mask != std::atoi(argv[1])) {
      std::printf("FAIL: mask %d, expected %s\n", mask, argv[1]);
      ok = false;
    }
    for (int i = 2; i < argc; ++i) ok = contains(text, argv[i]) && ok;
  }

  int64_t counts[4] = {-1, -1, -1, -1};
  if (g4j_cuda_path_counts(counts) != G4J_OK || counts[0] != 0 || counts[1] != 0 ||
      counts[2] != 0 || counts[3] != 0) {
    std::printf("FAIL: path counts before any op: %lld %lld %lld %lld\n", (long long)counts[0],
                (long long)counts[1], (long long)counts[2], (long long)counts[3]);
    ok = false;
  }
  if (g4j_cuda_path_counts(nullptr) != G4J_ERR_INVALID_ARGUMENT) {
    std::printf("FAIL: g4j_cuda_path_counts(NULL) accepted\n");
    ok = false;
  }

  // The switch: off, then back on.
  g4j_cuda_set_vendor(0);
  int off_mask = -1;
  const std::string off = info(&off_mask);
  if (off_mask != 0) {
    std::printf("FAIL: mask %d with the vendor path switched off\n", off_mask);
    ok = false;
  }
  if (g4j_cuda_compiled()) ok = contains(off, "switched off") && ok;
  g4j_cuda_set_vendor(1);
  int on_mask = -1;
  const std::string on = info(&on_mask);
  const bool env_off = std::getenv("G4J_CUDA_VENDOR") != nullptr &&
                       std::strcmp(std::getenv("G4J_CUDA_VENDOR"), "0") == 0;
  if (!env_off && (on != text || on_mask != mask)) {
    std::printf("FAIL: switched on again: mask %d: %s\n", on_mask, on.c_str());
    ok = false;
  }
  std::printf("%s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
