// Finding and opening NVIDIA's libraries (cuDNN, cuBLASLt) at run time, without their headers or
// a link-time dependency: the candidates are searched in a fixed order, the first that opens is
// kept for the life of the process, and every failure becomes a sentence a user can act on
// ("vendor path off: <why>") instead of a crash. Plain C++ (dlopen); compiled into every build.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace g4j {
namespace vendor {

// Where one library is looked for, in this order:
//  1. the file named by the environment variable `explicit_env` (e.g. G4J_CUDNN_LIBRARY); when
//     it is set, nothing else is tried, so a wrong path is reported rather than silently replaced;
//  2. each directory of G4J_VENDOR_LIBRARY_PATH (colon-separated), each of `sonames`;
//  3. each bare soname, i.e. the dynamic loader's own search (LD_LIBRARY_PATH, ld.so.cache);
//  4. PyTorch's wheels: <prefix>/lib/python3*/{site,dist}-packages/nvidia/<wheel_dir>/lib (and
//     nvidia/cu13/lib, nvidia/cu12/lib) for the prefixes $VIRTUAL_ENV, $CONDA_PREFIX, ~/.local,
//     /usr/local, /usr, /opt/conda, /opt/*/.venv;
//  5. CUDA toolkit folders: $CUDA_HOME/lib64, /usr/local/cuda/lib64 and its targets folder.
struct LibrarySpec {
  const char* display;                 // "cuDNN"
  std::vector<const char*> sonames;    // {"libcudnn.so.9"}, newest first
  const char* explicit_env;            // "G4J_CUDNN_LIBRARY"
  const char* wheel_dir;               // "cudnn" (nvidia/cudnn/lib)
};

std::vector<std::string> candidates(const LibrarySpec& spec);

// One symbol to resolve: its name and where its address goes.
struct Symbol {
  const char* name;
  void** slot;
};

// A library opened with dlopen: its handle and the file the loader actually mapped.
struct Library {
  void* handle = nullptr;
  std::string path;
};

// Accepts or rejects an opened library (its version): true, or false with the reason.
using VersionCheck = bool (*)(void* handle, std::string* why);

// Opens the first candidate that loads, has every symbol of `symbols` and passes `check`; the
// symbols are then resolved into their slots. On failure returns false and `why` says what was
// tried and why each usable-looking candidate was rejected.
bool open_library(const LibrarySpec& spec, const std::vector<Symbol>& symbols, VersionCheck check,
                  Library* out, std::string* why);

// "9.19.0" from cuDNN's or cuBLASLt's encoded version number (major*10000 + minor*100 + patch for
// cuDNN 9 and cuBLAS; major*1000 + minor*100 + patch for cuDNN 8 and older).
std::string version_text(size_t encoded, bool cudnn);
int version_major(size_t encoded, bool cudnn);

}  // namespace vendor
}  // namespace g4j
