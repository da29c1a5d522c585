// Loads cuBLASLt once per process (vendor_loader.h says where it is searched) and resolves the
// entry points of vendor_cublaslt.h.
#include "vendor_cublaslt.h"

#include "common.h"
#include "vendor_loader.h"

namespace g4j {
namespace vendor {
namespace cublaslt {
namespace {

struct Loaded {
  Api api{};
  bool ok = false;
  std::string why, path, version;
};

size_t (*probe_version)() = nullptr;

// CUBLAS_COMPUTE_32F with BF16 operands and the matrix layout attributes used here exist from
// cuBLAS 11 on; this library is built with CUDA 13, whose driver runs cuBLAS 12 and 13 alike.
bool check_version(void*, std::string* why) {
  const size_t v = probe_version();
  if (version_major(v, false) < 12) {
    *why = "cuBLASLt " + version_text(v, false) + ", but guidance4j needs 12 or newer";
    return false;
  }
  return true;
}

#define G4J_SYM(name) Symbol{"cublasLt" #name, reinterpret_cast<void**>(&a.name)}

Loaded load() {
  Loaded l;
  Api& a = l.api;
  const LibrarySpec spec{"cuBLASLt", {"libcublasLt.so.13", "libcublasLt.so.12"},
                         "G4J_CUBLASLT_LIBRARY", "cublas"};
  const std::vector<Symbol> symbols = {
      Symbol{"cublasLtGetVersion", reinterpret_cast<void**>(&probe_version)},
      G4J_SYM(GetVersion),
      G4J_SYM(Create),
      G4J_SYM(MatmulDescCreate),
      G4J_SYM(MatmulDescSetAttribute),
      G4J_SYM(MatmulDescDestroy),
      G4J_SYM(MatrixLayoutCreate),
      G4J_SYM(MatrixLayoutSetAttribute),
      G4J_SYM(MatrixLayoutDestroy),
      G4J_SYM(MatmulPreferenceCreate),
      G4J_SYM(MatmulPreferenceSetAttribute),
      G4J_SYM(MatmulPreferenceDestroy),
      G4J_SYM(MatmulAlgoGetHeuristic),
      G4J_SYM(Matmul),
  };
  Library lib;
  if (!open_library(spec, symbols, &check_version, &lib, &l.why)) return l;
  l.ok = true;
  l.path = lib.path;
  l.version = version_text(a.GetVersion(), false);
  return l;
}

#undef G4J_SYM

}  // namespace

const Api* api(std::string* why, std::string* path, std::string* version) {
  static const Loaded loaded = load();
  if (!loaded.ok) {
    if (why != nullptr) *why = loaded.why;
    return nullptr;
  }
  if (path != nullptr) *path = loaded.path;
  if (version != nullptr) *version = loaded.version;
  return &loaded.api;
}

std::string status_text(Status s) {
  // cublasStatus_t (cublas_api.h)
  const char* name = "unknown cuBLAS status";
  switch (s) {
    case 0: name = "CUBLAS_STATUS_SUCCESS"; break;
    case 1: name = "CUBLAS_STATUS_NOT_INITIALIZED"; break;
    case 3: name = "CUBLAS_STATUS_ALLOC_FAILED"; break;
    case 7: name = "CUBLAS_STATUS_INVALID_VALUE"; break;
    case 8: name = "CUBLAS_STATUS_ARCH_MISMATCH"; break;
    case 11: name = "CUBLAS_STATUS_MAPPING_ERROR"; break;
    case 13: name = "CUBLAS_STATUS_EXECUTION_FAILED"; break;
    case 14: name = "CUBLAS_STATUS_INTERNAL_ERROR"; break;
    case 15: name = "CUBLAS_STATUS_NOT_SUPPORTED"; break;
    case 16: name = "CUBLAS_STATUS_LICENSE_ERROR"; break;
    default: break;
  }
  return format("%s (%d)", name, s);
}

}  // namespace cublaslt
}  // namespace vendor
}  // namespace g4j
