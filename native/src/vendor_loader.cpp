// See vendor_loader.h. Only absolute candidates that exist are opened (a missing file is "not
// found", not an error); a file that exists but does not open, lacks a symbol or has the wrong
// version is reported with dlerror's text or the symbol's name, and the search goes on.
#include "vendor_loader.h"

#include <dlfcn.h>
#include <glob.h>
#include <link.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <set>

#include "common.h"

namespace g4j {
namespace vendor {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

std::vector<std::string> split_path(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(':', start);
    if (end == std::string::npos) end = list.size();
    if (end > start) out.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::vector<std::string> glob_paths(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g;
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  globfree(&g);
  return out;
}

// The file a handle maps (the loader resolved a bare soname to it).
std::string mapped_path(void* handle, const std::string& fallback) {
  struct link_map* map = nullptr;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr && map->l_name != nullptr &&
      map->l_name[0] != '\0') {
    return map->l_name;
  }
  return fallback;
}

}  // namespace

std::vector<std::string> candidates(const LibrarySpec& spec) {
  std::vector<std::string> out;
  const std::string explicit_file = env(spec.explicit_env);
  if (!explicit_file.empty()) return {explicit_file};
  for (const std::string& dir : split_path(env("G4J_VENDOR_LIBRARY_PATH"))) {
    for (const char* so : spec.sonames) out.push_back(dir + "/" + so);
  }
  for (const char* so : spec.sonames) out.emplace_back(so);
  std::vector<std::string> prefixes;
  for (const char* var : {"VIRTUAL_ENV", "CONDA_PREFIX"}) {
    if (!env(var).empty()) prefixes.push_back(env(var));
  }
  if (!env("HOME").empty()) prefixes.push_back(env("HOME") + "/.local");
  for (const char* p : {"/usr/local", "/usr", "/opt/conda"}) prefixes.emplace_back(p);
  for (const std::string& venv : glob_paths("/opt/*/.venv")) prefixes.push_back(venv);
  // nvidia/cudnn/lib, nvidia/cublas/lib; CUDA 13's wheels put their libraries in nvidia/cu13/lib.
  for (const std::string& prefix : prefixes) {
    for (const char* packages : {"site-packages", "dist-packages"}) {
      for (const char* wheel : {spec.wheel_dir, "cu13", "cu12"}) {
        for (const char* so : spec.sonames) {
          const std::string pattern = prefix + "/lib/python3*/" + packages + "/nvidia/" + wheel +
                                      "/lib/" + so;
          for (const std::string& hit : glob_paths(pattern)) out.push_back(hit);
        }
      }
    }
  }
  std::vector<std::string> cuda_dirs;
  if (!env("CUDA_HOME").empty()) cuda_dirs.push_back(env("CUDA_HOME") + "/lib64");
  cuda_dirs.emplace_back("/usr/local/cuda/lib64");
  cuda_dirs.emplace_back("/usr/local/cuda/targets/x86_64-linux/lib");
  for (const std::string& dir : cuda_dirs) {
    for (const char* so : spec.sonames) out.push_back(dir + "/" + so);
  }
  // The same file reached twice (a directory listed in two places) is tried once.
  std::set<std::string> seen;
  std::vector<std::string> unique;
  for (const std::string& c : out) {
    if (seen.insert(c).second) unique.push_back(c);
  }
  return unique;
}

bool open_library(const LibrarySpec& spec, const std::vector<Symbol>& symbols, VersionCheck check,
                  Library* out, std::string* why) {
  const bool explicit_file = !env(spec.explicit_env).empty();
  std::vector<std::string> rejected;  // candidates that exist but could not be used
  for (const std::string& cand : candidates(spec)) {
    const bool absolute = cand.find('/') != std::string::npos;
    if (absolute && ::access(cand.c_str(), F_OK) != 0) {
      if (explicit_file) rejected.push_back(cand + ": no such file (" + spec.explicit_env + ")");
      continue;
    }
    dlerror();
    void* h = dlopen(cand.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      const char* err = dlerror();
      const std::string text = err != nullptr ? err : "dlopen failed";
      // A bare soname the loader cannot find is simply absent; anything else is worth saying.
      if (absolute || text.find("No such file") == std::string::npos) {
        // dlerror usually names the file itself
        rejected.push_back(text.rfind(cand, 0) == 0 ? text : cand + ": " + text);
      }
      continue;
    }
    const std::string path = mapped_path(h, cand);
    std::string missing;
    for (const Symbol& s : symbols) {
      dlerror();
      void* p = dlsym(h, s.name);
      if (p == nullptr) {
        missing = s.name;
        break;
      }
      *s.slot = p;
    }
    if (!missing.empty()) {
      rejected.push_back(path + ": missing symbol " + missing);
      dlclose(h);
      continue;
    }
    std::string bad_version;
    if (check != nullptr && !check(h, &bad_version)) {
      rejected.push_back(path + ": " + bad_version);
      dlclose(h);
      continue;
    }
    out->handle = h;
    out->path = path;
    return true;
  }
  // Leave no half-resolved table behind.
  for (const Symbol& s : symbols) *s.slot = nullptr;
  std::string text;
  if (rejected.empty()) {
    text = format("%s not found (%s", spec.sonames.front(), spec.display);
    text += explicit_file ? ")"
                          : format("; searched G4J_VENDOR_LIBRARY_PATH, the dynamic loader's path, "
                                   "Python wheels' nvidia/%s/lib and CUDA's lib64; set %s or "
                                   "G4J_VENDOR_LIBRARY_PATH)",
                                   spec.wheel_dir, spec.explicit_env);
  } else {
    text = format("no usable %s:", spec.display);
    for (size_t i = 0; i < rejected.size(); ++i) text += (i == 0 ? " " : "; ") + rejected[i];
  }
  *why = text;
  return false;
}

int version_major(size_t encoded, bool cudnn) {
  if (cudnn && encoded < 10000) return static_cast<int>(encoded / 1000);
  return static_cast<int>(encoded / 10000);
}

std::string version_text(size_t encoded, bool cudnn) {
  if (cudnn && encoded < 10000) {
    return format("%zu.%zu.%zu", encoded / 1000, encoded % 1000 / 100, encoded % 100);
  }
  return format("%zu.%zu.%zu", encoded / 10000, encoded % 10000 / 100, encoded % 100);
}

}  // namespace vendor
}  // namespace g4j
