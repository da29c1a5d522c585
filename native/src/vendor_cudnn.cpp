// Loads cuDNN 9 once per process (vendor_loader.h says where it is searched) and resolves the
// entry points of vendor_cudnn.h.
#include "vendor_cudnn.h"

#include <dlfcn.h>

#include <mutex>

#include "common.h"
#include "vendor_loader.h"

namespace g4j {
namespace vendor {
namespace cudnn {
namespace {

struct Loaded {
  Api api{};
  bool ok = false;
  std::string why, path, version;
};

size_t (*probe_version)() = nullptr;

// The legacy convolution API used here is cuDNN 9's; cuDNN 8 has other entry points and sonames
// and a future major version may drop these.
bool check_version(void*, std::string* why) {
  const size_t v = probe_version();
  if (version_major(v, true) != 9) {
    *why = "cuDNN " + version_text(v, true) + ", but guidance4j needs cuDNN 9.x";
    return false;
  }
  return true;
}

#define G4J_SYM(name) Symbol{"cudnn" #name, reinterpret_cast<void**>(&a.name)}

Loaded load() {
  Loaded l;
  Api& a = l.api;
  const LibrarySpec spec{"cuDNN", {"libcudnn.so.9"}, "G4J_CUDNN_LIBRARY", "cudnn"};
  // cudnnGetVersion first: the version check reads it through probe_version.
  const std::vector<Symbol> symbols = {
      Symbol{"cudnnGetVersion", reinterpret_cast<void**>(&probe_version)},
      G4J_SYM(GetVersion),
      G4J_SYM(GetCudartVersion),
      G4J_SYM(GetErrorString),
      G4J_SYM(Create),
      G4J_SYM(SetStream),
      G4J_SYM(CreateTensorDescriptor),
      G4J_SYM(SetTensor4dDescriptor),
      G4J_SYM(DestroyTensorDescriptor),
      G4J_SYM(CreateFilterDescriptor),
      G4J_SYM(SetFilter4dDescriptor),
      G4J_SYM(DestroyFilterDescriptor),
      G4J_SYM(CreateConvolutionDescriptor),
      G4J_SYM(SetConvolution2dDescriptor),
      G4J_SYM(SetConvolutionMathType),
      G4J_SYM(DestroyConvolutionDescriptor),
      G4J_SYM(GetConvolutionForwardAlgorithmMaxCount),
      G4J_SYM(FindConvolutionForwardAlgorithmEx),
      G4J_SYM(ConvolutionForward),
      G4J_SYM(GetConvolutionBackwardDataAlgorithmMaxCount),
      G4J_SYM(FindConvolutionBackwardDataAlgorithmEx),
      G4J_SYM(ConvolutionBackwardData),
  };
  Library lib;
  if (!open_library(spec, symbols, &check_version, &lib, &l.why)) return l;
  // Optional (added in 9.0, absent from some builds): only decorates error messages.
  a.GetLastErrorString = reinterpret_cast<void (*)(char*, size_t)>(
      dlsym(lib.handle, "cudnnGetLastErrorString"));
  l.ok = true;
  l.path = lib.path;
  l.version = version_text(a.GetVersion(), true);
  const size_t cudart = a.GetCudartVersion();
  l.version += format(" (built for CUDA %zu.%zu)", cudart / 1000, cudart % 1000 / 10);
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

std::string status_text(const Api& a, Status s) {
  const char* name = a.GetErrorString != nullptr ? a.GetErrorString(s) : nullptr;
  std::string text = format("%s (%d)", name != nullptr ? name : "unknown cuDNN status", s);
  if (a.GetLastErrorString != nullptr) {
    char buf[512] = "";
    a.GetLastErrorString(buf, sizeof buf);
    if (buf[0] != '\0') text += std::string(": ") + buf;
  }
  return text;
}

}  // namespace cudnn
}  // namespace vendor
}  // namespace g4j
