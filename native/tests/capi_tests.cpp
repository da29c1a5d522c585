// The C API's contract beyond numerics (those are g4j_smoke's): status codes, error texts that
// name the op and the argument (per call, by the id in the code, and per thread), argument
// validation, memory accounting, 2-D copies. Runs on any machine: CUDA-specific expectations
// follow the device count.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <string>
#include <thread>
#include <vector>

#include "guidance4j.h"

namespace {

int g_passed = 0, g_failed = 0;

void check(bool ok, const char* what, int line) {
  if (ok) {
    ++g_passed;
  } else {
    ++g_failed;
    std::printf("FAIL line %d: %s\n", line, what);
  }
}
#define CHECK(cond) check((cond), #cond, __LINE__)

// The text of the failure `code` identifies, read through its id.
std::string message_of(int code) {
  char buf[512];
  const size_t n = g4j_error_message(code, buf, sizeof buf);
  if (n < sizeof buf) return buf;
  std::vector<char> big(n + 1);
  g4j_error_message(code, big.data(), big.size());
  return big.data();
}

// `status`'s status part must equal `want`, its text (by id) must contain every fragment and be
// the thread's last error too.
void expect_error(int status, int want, std::initializer_list<const char*> fragments,
                  const char* call, int line) {
  const std::string text = message_of(status);
  bool ok = G4J_STATUS_OF(status) == want && text == g4j_last_error() && (status >> 8) != 0;
  for (const char* f : fragments) ok = ok && text.find(f) != std::string::npos;
  if (ok) {
    ++g_passed;
    return;
  }
  ++g_failed;
  std::printf("FAIL line %d: %s\n  code %d = status %d (want %d), error \"%s\" (last error "
              "\"%s\"), want it to contain:",
              line, call, status, G4J_STATUS_OF(status), want, text.c_str(), g4j_last_error());
  for (const char* f : fragments) std::printf(" \"%s\"", f);
  std::printf("\n");
}
#define EXPECT_ERROR(call, want, ...) expect_error((call), (want), {__VA_ARGS__}, #call, __LINE__)
#define EXPECT_OK(call) \
  check((call) == G4J_OK, (std::string(#call) + ": " + g4j_last_error()).c_str(), __LINE__)

const int kInvalid = G4J_ERR_INVALID_ARGUMENT;

// ---- versions, devices, streams ---------------------------------------------------------------

void test_devices(int* device_count) {
  CHECK(g4j_api_version() == G4J_API_VERSION);

  int count = -1;
  char reason[256];
  std::memset(reason, 'x', sizeof reason);
  EXPECT_OK(g4j_cuda_device_count(&count, reason, sizeof reason));
  CHECK(count >= 0);
  CHECK(std::memchr(reason, '\0', sizeof reason) != nullptr);  // terminated within cap
  if (count == 0) CHECK(std::strlen(reason) > 0);               // says why
  if (!g4j_cuda_compiled()) CHECK(count == 0);
  EXPECT_OK(g4j_cuda_device_count(&count, nullptr, 0));
  char tiny[4];
  EXPECT_OK(g4j_cuda_device_count(&count, tiny, sizeof tiny));
  if (count == 0) CHECK(std::strlen(tiny) == 3);  // truncated, still terminated
  EXPECT_ERROR(g4j_cuda_device_count(nullptr, reason, sizeof reason), kInvalid,
               "g4j_cuda_device_count", "count");
  *device_count = count;

  g4j_stream* s = reinterpret_cast<g4j_stream*>(&count);  // must be overwritten with NULL
  if (count == 0) {
    EXPECT_ERROR(g4j_stream_create(0, &s), G4J_ERR_NO_DEVICE, "g4j_stream_create");
    CHECK(std::strlen(g4j_last_error()) > std::strlen("g4j_stream_create: "));
    CHECK(s == nullptr);
    size_t total = 0;
    EXPECT_ERROR(g4j_cuda_device_info(0, reason, sizeof reason, &total), G4J_ERR_NO_DEVICE,
                 "g4j_cuda_device_info");
  }
  EXPECT_ERROR(g4j_stream_create(count, &s), G4J_ERR_NO_DEVICE, "g4j_stream_create");
  EXPECT_ERROR(g4j_stream_create(-1, nullptr), kInvalid, "g4j_stream_create", "out");

  EXPECT_OK(g4j_stream_create(-1, &s));
  CHECK(s != nullptr);
  EXPECT_OK(g4j_stream_synchronize(s));
  EXPECT_OK(g4j_stream_wait(s, s));
  EXPECT_OK(g4j_stream_destroy(s));
  EXPECT_OK(g4j_stream_destroy(nullptr));
  EXPECT_ERROR(g4j_stream_synchronize(nullptr), kInvalid, "g4j_stream_synchronize", "stream");

  int supported = -1;
  EXPECT_OK(g4j_device_supports_dtype(-1, G4J_F32, &supported));
  CHECK(supported == 1);
  EXPECT_OK(g4j_device_supports_dtype(-1, G4J_F16, &supported));
  CHECK(supported == 0);
  EXPECT_OK(g4j_device_supports_dtype(-1, G4J_BF16, &supported));
  CHECK(supported == 0);
  EXPECT_ERROR(g4j_device_supports_dtype(-1, 3, &supported), kInvalid,
               "g4j_device_supports_dtype", "dtype");

  int threads = 0;
  EXPECT_OK(g4j_get_num_threads(&threads));
  CHECK(threads >= 1);
  EXPECT_ERROR(g4j_set_num_threads(0), kInvalid, "g4j_set_num_threads", "threads");
  EXPECT_OK(g4j_set_num_threads(1));
  int now = 0;
  EXPECT_OK(g4j_get_num_threads(&now));
  CHECK(now == 1);
  EXPECT_OK(g4j_set_num_threads(threads));
}

// ---- memory -----------------------------------------------------------------------------------

void test_memory(g4j_stream* cpu) {
  size_t in_use0 = 0, reserved0 = 0;
  EXPECT_OK(g4j_memory_stats(cpu, &in_use0, &reserved0));
  void* p = nullptr;
  EXPECT_OK(g4j_malloc(cpu, 1000, &p));
  CHECK(p != nullptr);
  CHECK(reinterpret_cast<uintptr_t>(p) % 64 == 0);
  size_t in_use1 = 0, reserved1 = 0;
  EXPECT_OK(g4j_memory_stats(cpu, &in_use1, &reserved1));
  CHECK(in_use1 >= in_use0 + 1000);
  CHECK(reserved1 >= in_use1);
  EXPECT_OK(g4j_free(cpu, p));
  size_t in_use2 = 0, reserved2 = 0;
  EXPECT_OK(g4j_memory_stats(cpu, &in_use2, &reserved2));
  CHECK(in_use2 == in_use0);
  EXPECT_ERROR(g4j_memory_stats(cpu, nullptr, &reserved2), kInvalid, "g4j_memory_stats",
               "in_use");

  p = reinterpret_cast<void*>(&in_use0);
  EXPECT_OK(g4j_malloc(cpu, 0, &p));
  CHECK(p == nullptr);
  EXPECT_OK(g4j_free(cpu, nullptr));
  EXPECT_ERROR(g4j_malloc(cpu, size_t(1) << 62, &p), G4J_ERR_OUT_OF_MEMORY, "g4j_malloc");
  CHECK(p == nullptr);
  EXPECT_ERROR(g4j_malloc(cpu, SIZE_MAX, &p), G4J_ERR_OUT_OF_MEMORY, "g4j_malloc");
  EXPECT_ERROR(g4j_malloc(cpu, 16, nullptr), kInvalid, "g4j_malloc", "out");
  EXPECT_ERROR(g4j_malloc(nullptr, 16, &p), kInvalid, "g4j_malloc", "stream");
  int not_ours = 0;
  EXPECT_ERROR(g4j_free(cpu, &not_ours), kInvalid, "g4j_free");
  size_t in_use3 = 0, reserved3 = 0;
  EXPECT_OK(g4j_memory_stats(cpu, &in_use3, &reserved3));
  CHECK(in_use3 == in_use0);  // failed allocations leave no trace

  void* h = nullptr;
  EXPECT_OK(g4j_host_alloc(4096, &h));
  CHECK(h != nullptr);
  if (h != nullptr) std::memset(h, 1, 4096);  // really usable
  EXPECT_OK(g4j_host_free(h));
  EXPECT_OK(g4j_host_alloc(0, &h));
  CHECK(h == nullptr);
  EXPECT_OK(g4j_host_free(nullptr));
  EXPECT_ERROR(g4j_host_alloc(size_t(1) << 62, &h), G4J_ERR_OUT_OF_MEMORY, "g4j_host_alloc");

  // g4j_memcpy and g4j_memcpy_2d on the CPU "device": a column slice of a row-major matrix.
  std::vector<float> src(5 * 7), dst(5 * 4, -1.0f), back(5 * 7, 0.0f);
  for (size_t i = 0; i < src.size(); ++i) src[i] = float(i) + 0.25f;
  EXPECT_OK(g4j_memcpy_2d(cpu, dst.data(), 4 * sizeof(float), src.data() + 2, 7 * sizeof(float),
                          3 * sizeof(float), 5));
  bool sliced = true;
  for (int r = 0; r < 5; ++r) {
    for (int c = 0; c < 3; ++c) sliced = sliced && dst[r * 4 + c] == src[r * 7 + 2 + c];
    sliced = sliced && dst[r * 4 + 3] == -1.0f;  // beyond row_bytes: untouched
  }
  CHECK(sliced);
  EXPECT_ERROR(g4j_memcpy_2d(cpu, dst.data(), 2 * sizeof(float), src.data(), 7 * sizeof(float),
                             3 * sizeof(float), 5),
               kInvalid, "g4j_memcpy_2d", "pitch");
  EXPECT_ERROR(g4j_memcpy_2d(cpu, nullptr, 16, src.data(), 16, 16, 1), kInvalid, "g4j_memcpy_2d",
               "dst");
  EXPECT_OK(g4j_memcpy(cpu, back.data(), src.data(), src.size() * sizeof(float)));
  CHECK(back == src);
  EXPECT_ERROR(g4j_memcpy(cpu, back.data(), nullptr, 4), kInvalid, "g4j_memcpy", "src");
  EXPECT_ERROR(g4j_memcpy(nullptr, back.data(), src.data(), 4), kInvalid, "g4j_memcpy",
               "stream");
}

// ---- casts: every dtype pair works on the CPU ------------------------------------------------

void test_cast(g4j_stream* cpu) {
  const float in[4] = {1.5f, -0.1f, 65504.0f, 3.0e-3f};
  for (int dt : {G4J_F16, G4J_BF16}) {
    uint16_t mid[4];
    float out[4] = {0, 0, 0, 0};
    EXPECT_OK(g4j_cast(cpu, G4J_F32, in, dt, mid, 4));
    EXPECT_OK(g4j_cast(cpu, dt, mid, G4J_F32, out, 4));
    const double u = dt == G4J_F16 ? 0x1p-11 : 0x1p-8;  // round to nearest: |rel err| <= u
    bool close = out[0] == 1.5f;
    for (int i = 0; i < 4; ++i) close = close && std::abs(out[i] - in[i]) <= u * std::abs(in[i]);
    CHECK(close);
    // F16 -> BF16 -> F32 keeps 1.5 (exact in both).
    uint16_t other[4];
    EXPECT_OK(g4j_cast(cpu, dt, mid, dt == G4J_F16 ? G4J_BF16 : G4J_F16, other, 1));
    EXPECT_OK(g4j_cast(cpu, dt == G4J_F16 ? G4J_BF16 : G4J_F16, other, G4J_F32, out, 1));
    CHECK(out[0] == 1.5f);
  }
  float out = 0;
  EXPECT_OK(g4j_cast(cpu, G4J_F32, in, G4J_F32, &out, 1));
  CHECK(out == 1.5f);
  EXPECT_ERROR(g4j_cast(cpu, 9, in, G4J_F32, &out, 1), kInvalid, "g4j_cast", "9");
  EXPECT_ERROR(g4j_cast(cpu, G4J_F32, in, -1, &out, 1), kInvalid, "g4j_cast", "-1");
  EXPECT_ERROR(g4j_cast(cpu, G4J_F32, nullptr, G4J_F32, &out, 1), kInvalid, "g4j_cast", "'src'");
  EXPECT_ERROR(g4j_cast(cpu, G4J_F32, in, G4J_F32, nullptr, 1), kInvalid, "g4j_cast", "'dst'");
  EXPECT_ERROR(g4j_cast(cpu, G4J_F32, in, G4J_F32, &out, -3), kInvalid, "g4j_cast", "n", "-3");
}

// ---- ops: null pointers, bad sizes, dtypes, layouts -------------------------------------------

// A scratch buffer big enough for every small call below, holding harmless values.
struct Scratch {
  std::vector<float> a, b, c, d, e, f;
  Scratch() : a(4096, 0.5f), b(4096, 0.25f), c(4096, 1.0f), d(4096, 0.75f), e(4096), f(4096) {}
};

void test_null_pointers(g4j_stream* s, Scratch& m) {
  const int F = G4J_F32;
  float* a = m.a.data();
  float* b = m.b.data();
  float* c = m.c.data();
  float* o = m.e.data();
  float* o2 = m.f.data();

  EXPECT_ERROR(g4j_fill(s, F, 4, 1.0f, nullptr), kInvalid, "g4j_fill", "'out'");
  EXPECT_ERROR(g4j_axpby(s, F, 4, 1, nullptr, 1, b, o), kInvalid, "g4j_axpby", "'x'");
  EXPECT_ERROR(g4j_axpby(s, F, 4, 1, a, 1, nullptr, o), kInvalid, "g4j_axpby", "'y'");
  EXPECT_ERROR(g4j_axpby(s, F, 4, 1, a, 1, b, nullptr), kInvalid, "g4j_axpby", "'out'");
  EXPECT_OK(g4j_axpby(s, F, 4, 2, a, 0, nullptr, o));  // y may be NULL when beta == 0
  CHECK(o[0] == 1.0f && o[3] == 1.0f);
  EXPECT_ERROR(g4j_silu(s, F, 4, nullptr, o), kInvalid, "g4j_silu", "'x'");
  EXPECT_ERROR(g4j_silu(s, F, 4, a, nullptr), kInvalid, "g4j_silu", "'out'");
  EXPECT_ERROR(g4j_add_channel_bias(s, F, 1, 2, 3, nullptr, b, 2, o), kInvalid,
               "g4j_add_channel_bias", "'x'");
  EXPECT_ERROR(g4j_add_channel_bias(s, F, 1, 2, 3, a, nullptr, 2, o), kInvalid,
               "g4j_add_channel_bias", "'bias'");
  EXPECT_ERROR(g4j_add_channel_bias(s, F, 1, 2, 3, a, b, 2, nullptr), kInvalid,
               "g4j_add_channel_bias", "'out'");
  EXPECT_ERROR(g4j_guided_combine(s, F, 4, nullptr, b, 2, o), kInvalid, "g4j_guided_combine",
               "'a'");
  EXPECT_ERROR(g4j_guided_combine(s, F, 4, a, nullptr, 2, o), kInvalid, "g4j_guided_combine",
               "'b'");
  EXPECT_ERROR(g4j_guided_combine(s, F, 4, a, b, 2, nullptr), kInvalid, "g4j_guided_combine",
               "'out'");
  EXPECT_ERROR(g4j_guided_step(s, F, 4, nullptr, a, b, 2, 1, 1, 0, 1, 1, 1, c, c, o, o2),
               kInvalid, "g4j_guided_step", "'x'");
  EXPECT_ERROR(g4j_guided_step(s, F, 4, c, nullptr, b, 2, 1, 1, 0, 1, 1, 1, c, c, o, o2),
               kInvalid, "g4j_guided_step", "'a'");
  EXPECT_ERROR(g4j_guided_step(s, F, 4, c, a, b, 2, 1, 1, 0, 1, 1, 1, c, c, nullptr, o2),
               kInvalid, "g4j_guided_step", "'out'");
  // b, noise, noise_std and x0_out are optional.
  EXPECT_OK(g4j_guided_step(s, F, 4, c, a, nullptr, 2, 1, 1, 0, 1, 1, 1, nullptr, nullptr, o,
                            nullptr));
  CHECK(o[0] == 2.5f);  // x0 = 1 + 0.5, out = 1 + x0
  EXPECT_ERROR(g4j_group_norm(s, F, 1, 4, 2, 2, 1e-5f, nullptr, nullptr, nullptr, nullptr,
                              nullptr, 0, 0, o),
               kInvalid, "g4j_group_norm", "'x'");
  EXPECT_ERROR(g4j_group_norm(s, F, 1, 4, 2, 2, 1e-5f, a, nullptr, nullptr, nullptr, nullptr, 0,
                              0, nullptr),
               kInvalid, "g4j_group_norm", "'out'");
  EXPECT_ERROR(g4j_attention(s, F, 1, 1, 4, 3, G4J_QKV_LEGACY, 0.5f, nullptr, o), kInvalid,
               "g4j_attention", "'qkv'");
  EXPECT_ERROR(g4j_attention(s, F, 1, 1, 4, 3, G4J_QKV_LEGACY, 0.5f, a, nullptr), kInvalid,
               "g4j_attention", "'out'");
  EXPECT_ERROR(g4j_conv2d(s, F, 1, 2, 4, 4, 3, 3, 1, 1, nullptr, b, c, nullptr, o), kInvalid,
               "g4j_conv2d", "'x'");
  EXPECT_ERROR(g4j_conv2d(s, F, 1, 2, 4, 4, 3, 3, 1, 1, a, nullptr, c, nullptr, o), kInvalid,
               "g4j_conv2d", "'weight'");
  EXPECT_ERROR(g4j_conv2d(s, F, 1, 2, 4, 4, 3, 3, 1, 1, a, b, c, nullptr, nullptr), kInvalid,
               "g4j_conv2d", "'out'");
  EXPECT_ERROR(g4j_gemm(s, F, 0, 0, 2, 3, 4, 1, nullptr, 4, 0, b, 3, 0, 0, o, 3, 0, 1), kInvalid,
               "g4j_gemm", "'a'");
  EXPECT_ERROR(g4j_gemm(s, F, 0, 0, 2, 3, 4, 1, a, 4, 0, nullptr, 3, 0, 0, o, 3, 0, 1), kInvalid,
               "g4j_gemm", "'b'");
  EXPECT_ERROR(g4j_gemm(s, F, 0, 0, 2, 3, 4, 1, a, 4, 0, b, 3, 0, 0, nullptr, 3, 0, 1), kInvalid,
               "g4j_gemm", "'c'");
  EXPECT_ERROR(g4j_linear(s, F, 2, 3, 4, nullptr, b, c, o), kInvalid, "g4j_linear", "'x'");
  EXPECT_ERROR(g4j_linear(s, F, 2, 3, 4, a, nullptr, c, o), kInvalid, "g4j_linear", "'weight'");
  EXPECT_ERROR(g4j_linear(s, F, 2, 3, 4, a, b, c, nullptr), kInvalid, "g4j_linear", "'out'");
  EXPECT_ERROR(g4j_upsample_nearest2x(s, F, 2, 3, 3, nullptr, o), kInvalid,
               "g4j_upsample_nearest2x", "'x'");
  EXPECT_ERROR(g4j_upsample_nearest2x(s, F, 2, 3, 3, a, nullptr), kInvalid,
               "g4j_upsample_nearest2x", "'out'");
  EXPECT_ERROR(g4j_avg_pool2x2(s, F, 2, 4, 4, nullptr, o), kInvalid, "g4j_avg_pool2x2", "'x'");
  EXPECT_ERROR(g4j_avg_pool2x2(s, F, 2, 4, 4, a, nullptr), kInvalid, "g4j_avg_pool2x2", "'out'");
  EXPECT_ERROR(g4j_timestep_embedding(s, F, 2, 8, 10000.0f, nullptr, o), kInvalid,
               "g4j_timestep_embedding", "'timesteps'");
  EXPECT_ERROR(g4j_timestep_embedding(s, F, 2, 8, 10000.0f, a, nullptr), kInvalid,
               "g4j_timestep_embedding", "'out'");
  EXPECT_ERROR(g4j_randn(s, F, 1, 0, 0, 2, 8, nullptr), kInvalid, "g4j_randn", "'out'");

  // A NULL stream, for every op.
  EXPECT_ERROR(g4j_cast(nullptr, F, a, F, o, 4), kInvalid, "g4j_cast", "stream");
  EXPECT_ERROR(g4j_fill(nullptr, F, 4, 1, o), kInvalid, "g4j_fill", "stream");
  EXPECT_ERROR(g4j_axpby(nullptr, F, 4, 1, a, 1, b, o), kInvalid, "g4j_axpby", "stream");
  EXPECT_ERROR(g4j_silu(nullptr, F, 4, a, o), kInvalid, "g4j_silu", "stream");
  EXPECT_ERROR(g4j_add_channel_bias(nullptr, F, 1, 2, 3, a, b, 2, o), kInvalid,
               "g4j_add_channel_bias", "stream");
  EXPECT_ERROR(g4j_guided_combine(nullptr, F, 4, a, b, 2, o), kInvalid, "g4j_guided_combine",
               "stream");
  EXPECT_ERROR(g4j_guided_step(nullptr, F, 4, c, a, b, 2, 1, 1, 0, 1, 1, 1, c, c, o, o2),
               kInvalid, "g4j_guided_step", "stream");
  EXPECT_ERROR(g4j_group_norm(nullptr, F, 1, 4, 2, 2, 1e-5f, a, nullptr, nullptr, nullptr,
                              nullptr, 0, 0, o),
               kInvalid, "g4j_group_norm", "stream");
  EXPECT_ERROR(g4j_attention(nullptr, F, 1, 1, 4, 3, G4J_QKV_LEGACY, 0.5f, a, o), kInvalid,
               "g4j_attention", "stream");
  EXPECT_ERROR(g4j_conv2d(nullptr, F, 1, 2, 4, 4, 3, 3, 1, 1, a, b, c, nullptr, o), kInvalid,
               "g4j_conv2d", "stream");
  EXPECT_ERROR(g4j_gemm(nullptr, F, 0, 0, 2, 3, 4, 1, a, 4, 0, b, 3, 0, 0, o, 3, 0, 1), kInvalid,
               "g4j_gemm", "stream");
  EXPECT_ERROR(g4j_linear(nullptr, F, 2, 3, 4, a, b, c, o), kInvalid, "g4j_linear", "stream");
  EXPECT_ERROR(g4j_upsample_nearest2x(nullptr, F, 2, 3, 3, a, o), kInvalid,
               "g4j_upsample_nearest2x", "stream");
  EXPECT_ERROR(g4j_avg_pool2x2(nullptr, F, 2, 4, 4, a, o), kInvalid, "g4j_avg_pool2x2",
               "stream");
  EXPECT_ERROR(g4j_timestep_embedding(nullptr, F, 2, 8, 10000.0f, a, o), kInvalid,
               "g4j_timestep_embedding", "stream");
  EXPECT_ERROR(g4j_randn(nullptr, F, 1, 0, 0, 2, 8, o), kInvalid, "g4j_randn", "stream");
}

void test_sizes(g4j_stream* s, Scratch& m) {
  const int F = G4J_F32;
  float* a = m.a.data();
  float* b = m.b.data();
  float* c = m.c.data();
  float* o = m.e.data();

  EXPECT_ERROR(g4j_fill(s, F, -1, 1.0f, o), kInvalid, "g4j_fill", "n", "-1");
  EXPECT_ERROR(g4j_axpby(s, F, -2, 1, a, 1, b, o), kInvalid, "g4j_axpby", "n", "-2");
  EXPECT_ERROR(g4j_silu(s, F, -1, a, o), kInvalid, "g4j_silu", "n", "-1");
  EXPECT_ERROR(g4j_add_channel_bias(s, F, 1, -2, 3, a, b, 2, o), kInvalid,
               "g4j_add_channel_bias", "channels", "-2");
  EXPECT_ERROR(g4j_add_channel_bias(s, F, -1, 2, 3, a, b, 2, o), kInvalid,
               "g4j_add_channel_bias", "batch", "-1");
  EXPECT_ERROR(g4j_guided_combine(s, F, -7, a, b, 2, o), kInvalid, "g4j_guided_combine", "n",
               "-7");
  EXPECT_ERROR(g4j_guided_step(s, F, -1, c, a, b, 2, 1, 1, 0, 1, 1, 1, nullptr, nullptr, o,
                               nullptr),
               kInvalid, "g4j_guided_step", "n", "-1");
  EXPECT_ERROR(g4j_group_norm(s, F, 1, 4, -5, 2, 1e-5f, a, nullptr, nullptr, nullptr, nullptr, 0,
                              0, o),
               kInvalid, "g4j_group_norm", "spatial", "-5");
  EXPECT_ERROR(g4j_group_norm(s, F, 1, 10, 2, 4, 1e-5f, a, nullptr, nullptr, nullptr, nullptr, 0,
                              0, o),
               kInvalid, "g4j_group_norm", "channels", "10", "groups", "4");
  EXPECT_ERROR(g4j_group_norm(s, F, 1, 4, 2, 0, 1e-5f, a, nullptr, nullptr, nullptr, nullptr, 0,
                              0, o),
               kInvalid, "g4j_group_norm", "groups");
  EXPECT_ERROR(g4j_attention(s, F, 1, -3, 4, 3, G4J_QKV_LEGACY, 0.5f, a, o), kInvalid,
               "g4j_attention", "heads", "-3");
  EXPECT_ERROR(g4j_attention(s, F, 1, 1, 4, -1, G4J_QKV_LEGACY, 0.5f, a, o), kInvalid,
               "g4j_attention", "tokens", "-1");
  EXPECT_ERROR(g4j_conv2d(s, F, 1, 2, 4, 4, 3, 3, -1, 1, a, b, c, nullptr, o), kInvalid,
               "g4j_conv2d", "stride", "-1");
  EXPECT_ERROR(g4j_conv2d(s, F, 1, 2, 4, 4, 3, 3, 1, -1, a, b, c, nullptr, o), kInvalid,
               "g4j_conv2d", "padding", "-1");
  EXPECT_ERROR(g4j_conv2d(s, F, 1, -2, 4, 4, 3, 3, 1, 1, a, b, c, nullptr, o), kInvalid,
               "g4j_conv2d", "in_channels", "-2");
  // A kernel larger than the padded input has no output position.
  EXPECT_ERROR(g4j_conv2d(s, F, 1, 2, 2, 2, 3, 5, 1, 0, a, b, c, nullptr, o), kInvalid,
               "g4j_conv2d", "kernel");
  EXPECT_ERROR(g4j_gemm(s, F, 0, 0, -2, 3, 4, 1, a, 4, 0, b, 3, 0, 0, o, 3, 0, 1), kInvalid,
               "g4j_gemm", "m", "-2");
  EXPECT_ERROR(g4j_gemm(s, F, 0, 0, 2, 3, 4, 1, a, 3, 0, b, 3, 0, 0, o, 3, 0, 1), kInvalid,
               "g4j_gemm", "lda");  // lda < k
  EXPECT_ERROR(g4j_gemm(s, F, 0, 0, 2, 3, 4, 1, a, 4, 0, b, 3, 0, 0, o, 2, 0, 1), kInvalid,
               "g4j_gemm", "ldc");  // ldc < n
  EXPECT_ERROR(g4j_gemm(s, F, 0, 0, 2, 3, 4, 1, a, 4, 0, b, 3, 0, 0, o, 3, 0, -1), kInvalid,
               "g4j_gemm", "batch", "-1");
  EXPECT_ERROR(g4j_linear(s, F, 2, -3, 4, a, b, c, o), kInvalid, "g4j_linear", "in_features",
               "-3");
  EXPECT_ERROR(g4j_upsample_nearest2x(s, F, 2, -3, 3, a, o), kInvalid, "g4j_upsample_nearest2x",
               "height", "-3");
  EXPECT_ERROR(g4j_avg_pool2x2(s, F, 2, 4, -4, a, o), kInvalid, "g4j_avg_pool2x2", "width",
               "-4");
  EXPECT_ERROR(g4j_timestep_embedding(s, F, -2, 8, 10000.0f, a, o), kInvalid,
               "g4j_timestep_embedding", "n", "-2");
  EXPECT_ERROR(g4j_randn(s, F, 1, 0, 0, -2, 8, o), kInvalid, "g4j_randn", "n_samples", "-2");
  EXPECT_ERROR(g4j_randn(s, F, 1, 0, 0, 2, -8, o), kInvalid, "g4j_randn", "per_sample", "-8");
  EXPECT_ERROR(g4j_randn(s, F, 1, 0, -1, 2, 8, o), kInvalid, "g4j_randn", "first_sample", "-1");
  // Sizes whose product overflows 64 bits.
  EXPECT_ERROR(g4j_add_channel_bias(s, F, int64_t(1) << 40, int64_t(1) << 40, 1 << 20, a, b,
                                    int64_t(1) << 40, o),
               kInvalid, "g4j_add_channel_bias");

  // Aliasing the header forbids.
  EXPECT_ERROR(g4j_group_norm(s, F, 1, 4, 2, 2, 1e-5f, a, nullptr, nullptr, nullptr, nullptr, 0,
                              0, a),
               kInvalid, "g4j_group_norm", "alias");
  EXPECT_ERROR(g4j_attention(s, F, 1, 1, 4, 3, G4J_QKV_LEGACY, 0.5f, a, a), kInvalid,
               "g4j_attention", "alias");
  EXPECT_ERROR(g4j_conv2d(s, F, 1, 2, 4, 4, 3, 3, 1, 1, a, b, nullptr, nullptr, a), kInvalid,
               "g4j_conv2d", "alias");
  // ... and the aliasing it allows: out = x in place.
  m.d.assign(m.d.size(), 0.75f);
  EXPECT_OK(g4j_axpby(s, F, 4, 2, m.d.data(), 1, b, m.d.data()));
  CHECK(m.d[0] == 1.75f && m.d[3] == 1.75f);
}

void test_dtypes_and_layouts(g4j_stream* s, Scratch& m) {
  float* a = m.a.data();
  float* b = m.b.data();
  float* c = m.c.data();
  float* o = m.e.data();
  const int U = G4J_ERR_UNSUPPORTED;
  for (int dt : {G4J_F16, G4J_BF16}) {
    EXPECT_ERROR(g4j_fill(s, dt, 4, 1.0f, o), U, "g4j_fill");
    EXPECT_ERROR(g4j_axpby(s, dt, 4, 1, a, 1, b, o), U, "g4j_axpby", "F32");
    EXPECT_ERROR(g4j_silu(s, dt, 4, a, o), U, "g4j_silu");
    EXPECT_ERROR(g4j_add_channel_bias(s, dt, 1, 2, 3, a, b, 2, o), U, "g4j_add_channel_bias");
    EXPECT_ERROR(g4j_guided_combine(s, dt, 4, a, b, 2, o), U, "g4j_guided_combine");
    EXPECT_ERROR(g4j_guided_step(s, dt, 4, c, a, b, 2, 1, 1, 0, 1, 1, 1, nullptr, nullptr, o,
                                 nullptr),
                 U, "g4j_guided_step");
    EXPECT_ERROR(g4j_group_norm(s, dt, 1, 4, 2, 2, 1e-5f, a, nullptr, nullptr, nullptr, nullptr,
                                0, 0, o),
                 U, "g4j_group_norm");
    EXPECT_ERROR(g4j_attention(s, dt, 1, 1, 4, 3, G4J_QKV_LEGACY, 0.5f, a, o), U,
                 "g4j_attention");
    EXPECT_ERROR(g4j_conv2d(s, dt, 1, 2, 4, 4, 3, 3, 1, 1, a, b, c, nullptr, o), U,
                 "g4j_conv2d");
    EXPECT_ERROR(g4j_gemm(s, dt, 0, 0, 2, 3, 4, 1, a, 4, 0, b, 3, 0, 0, o, 3, 0, 1), U,
                 "g4j_gemm");
    EXPECT_ERROR(g4j_linear(s, dt, 2, 3, 4, a, b, c, o), U, "g4j_linear");
    EXPECT_ERROR(g4j_upsample_nearest2x(s, dt, 2, 3, 3, a, o), U, "g4j_upsample_nearest2x");
    EXPECT_ERROR(g4j_avg_pool2x2(s, dt, 2, 4, 4, a, o), U, "g4j_avg_pool2x2");
    EXPECT_ERROR(g4j_timestep_embedding(s, dt, 2, 8, 10000.0f, a, o), U,
                 "g4j_timestep_embedding");
    EXPECT_ERROR(g4j_randn(s, dt, 1, 0, 0, 2, 8, o), U, "g4j_randn");
  }
  for (int dt : {3, -1, 1000}) {
    const std::string num = std::to_string(dt);
    EXPECT_ERROR(g4j_fill(s, dt, 4, 1.0f, o), kInvalid, "g4j_fill", "dtype", num.c_str());
    EXPECT_ERROR(g4j_silu(s, dt, 4, a, o), kInvalid, "g4j_silu", "dtype", num.c_str());
    EXPECT_ERROR(g4j_conv2d(s, dt, 1, 2, 4, 4, 3, 3, 1, 1, a, b, c, nullptr, o), kInvalid,
                 "g4j_conv2d", "dtype", num.c_str());
    EXPECT_ERROR(g4j_randn(s, dt, 1, 0, 0, 2, 8, o), kInvalid, "g4j_randn", "dtype", num.c_str());
  }
  for (int layout : {3, -1}) {
    EXPECT_ERROR(g4j_attention(s, G4J_F32, 1, 1, 4, 3, layout, 0.5f, a, o), kInvalid,
                 "g4j_attention", "layout", std::to_string(layout).c_str());
  }
}

// The per-sample guidance ops: argument checks, and small cases worked out by hand.
void test_per_sample_guidance(g4j_stream* s, Scratch& m) {
  const int F = G4J_F32;
  float* a = m.a.data();
  float* b = m.b.data();
  float* o = m.e.data();
  float* o2 = m.f.data();
  EXPECT_ERROR(g4j_cfg_rescale(s, F, 2, 3, nullptr, b, 3, 0.7f, o), kInvalid, "g4j_cfg_rescale", "'a'");
  EXPECT_ERROR(g4j_cfg_rescale(s, F, 2, 3, a, nullptr, 3, 0.7f, o), kInvalid, "g4j_cfg_rescale", "'b'");
  EXPECT_ERROR(g4j_cfg_rescale(s, F, 2, 3, a, b, 3, 0.7f, nullptr), kInvalid, "g4j_cfg_rescale", "'out'");
  EXPECT_ERROR(g4j_cfg_rescale(s, F, 2, 1, a, b, 3, 0.7f, o), kInvalid, "g4j_cfg_rescale", "per_sample", ">= 2", "1");
  EXPECT_ERROR(g4j_cfg_rescale(s, F, 0, 3, a, b, 3, 0.7f, o), kInvalid, "g4j_cfg_rescale", "batch", "0");
  EXPECT_ERROR(g4j_cfg_rescale(s, F, 2, 3, a, b, NAN, 0.7f, o), kInvalid, "g4j_cfg_rescale", "scale");
  EXPECT_ERROR(g4j_cfg_rescale(s, F, 2, 3, a, b, 3, INFINITY, o), kInvalid, "g4j_cfg_rescale", "phi");
  EXPECT_ERROR(g4j_cfg_rescale(s, G4J_F16, 2, 3, a, b, 3, 0.7f, o), G4J_ERR_UNSUPPORTED, "g4j_cfg_rescale", "F32");
  EXPECT_ERROR(g4j_cfg_rescale(nullptr, F, 2, 3, a, b, 3, 0.7f, o), kInvalid, "g4j_cfg_rescale", "stream");

  EXPECT_ERROR(g4j_apg(s, F, 1, 4, nullptr, a, b, 1.5f, -1, 3, 0, 0, 0, nullptr, nullptr, o), kInvalid, "g4j_apg", "'x");
  EXPECT_ERROR(g4j_apg(s, F, 1, 4, nullptr, nullptr, b, 0, 1, 3, 0, 0, 0, nullptr, nullptr, o), kInvalid, "g4j_apg", "'a'");
  EXPECT_ERROR(g4j_apg(s, F, 1, 4, nullptr, a, b, 0, 0, 3, 0, 0, 0, nullptr, nullptr, o), kInvalid, "g4j_apg", "pg");
  EXPECT_ERROR(g4j_apg(s, F, 1, 4, nullptr, a, b, 0, 1, 3, 0, -1, 0, nullptr, nullptr, o), kInvalid, "g4j_apg", "norm_threshold", "-1");
  EXPECT_ERROR(g4j_apg(s, F, 1, 4, nullptr, a, b, 0, 1, 3, NAN, 0, 0, nullptr, nullptr, o), kInvalid, "g4j_apg", "eta");
  EXPECT_ERROR(g4j_apg(s, F, 1, 4, nullptr, a, b, 0, 1, 3, 0, 0, 0.5f, o, nullptr, o), kInvalid, "g4j_apg", "'out'", "'momentum_in'");
  EXPECT_ERROR(g4j_apg(s, F, 1, 4, nullptr, a, b, 0, 1, 3, 0, 0, 0.5f, o2, b, o), kInvalid, "g4j_apg", "'momentum_out'", "'b'");
  EXPECT_ERROR(g4j_apg(s, F, 0, 4, nullptr, a, b, 0, 1, 3, 0, 0, 0, nullptr, nullptr, o), kInvalid, "g4j_apg", "batch");

  // APG by hand: a = (0, 1), b = (1, 1), x0 outputs (px 0, pg 1): m = (1, 0), d(b) = (1, 1),
  // k = 1/2; eta 0 keeps m - k d(b) = (0.5, -0.5), so out = b + 2 (0.5, -0.5) = (2, 0); eta 1
  // keeps m whole: (3, 1). A threshold of 0.5 halves m (||m|| = 1) and the update with it.
  float ha[2] = {0, 1}, hb[2] = {1, 1}, ho[2] = {-9, -9}, hm[2] = {-9, -9};
  EXPECT_OK(g4j_apg(s, F, 1, 2, nullptr, ha, hb, 0, 1, 3, 0, 0, 0, nullptr, nullptr, ho));
  CHECK(ho[0] == 2.0f && ho[1] == 0.0f);
  EXPECT_OK(g4j_apg(s, F, 1, 2, nullptr, ha, hb, 0, 1, 3, 1, 0, 0, nullptr, hm, ho));
  CHECK(ho[0] == 3.0f && ho[1] == 1.0f && hm[0] == 1.0f && hm[1] == 0.0f);
  EXPECT_OK(g4j_apg(s, F, 1, 2, nullptr, ha, hb, 0, 1, 3, 1, 0.5f, 0, nullptr, nullptr, ho));
  CHECK(ho[0] == 2.0f && ho[1] == 1.0f);
  // momentum -0.5 on m_in = (2, 2), in place: m = (1, 0) - (1, 1) = (0, -1), stored back.
  float mi[2] = {2, 2};
  EXPECT_OK(g4j_apg(s, F, 1, 2, nullptr, ha, hb, 0, 1, 3, 1, 0, -0.5f, mi, mi, ho));
  CHECK(mi[0] == 0.0f && mi[1] == -1.0f && ho[0] == 1.0f && ho[1] == -1.0f);
  // CFG rescale by hand: a = (0, 0), b = (1, -1): g = 3 b, std(g) = 3 std(b), so phi 1 gives
  // b back; a constant sample (std 0) is left as g.
  float ra[4] = {0, 0, 2, 2}, rb[4] = {1, -1, 2, 2}, ro[4];
  EXPECT_OK(g4j_cfg_rescale(s, F, 2, 2, ra, rb, 3, 1, ro));
  CHECK(ro[0] == 1.0f && ro[1] == -1.0f && ro[2] == 2.0f && ro[3] == 2.0f);
}

// Zero-sized elementwise work is a no-op that needs no buffers.
void test_empty(g4j_stream* s) {
  EXPECT_OK(g4j_axpby(s, G4J_F32, 0, 1, nullptr, 1, nullptr, nullptr));
  EXPECT_OK(g4j_guided_combine(s, G4J_F32, 0, nullptr, nullptr, 2, nullptr));
  EXPECT_OK(g4j_randn(s, G4J_F32, 1, 0, 0, 0, 8, nullptr));
}

// Each thread has its own last error: one thread's failure neither shows on nor overwrites
// another's.
void test_thread_local_error(g4j_stream* s) {
  EXPECT_ERROR(g4j_silu(s, G4J_F32, -11, nullptr, nullptr), kInvalid, "g4j_silu", "-11");
  std::string other_before, other_after;
  std::thread t([&] {
    other_before = g4j_last_error();
    g4j_fill(s, G4J_F32, -22, 0.0f, nullptr);
    other_after = g4j_last_error();
  });
  t.join();
  CHECK(other_before.empty());
  CHECK(other_after.find("g4j_fill") != std::string::npos);
  CHECK(std::string(g4j_last_error()).find("g4j_silu") != std::string::npos);
  CHECK(std::string(g4j_last_error()).find("-11") != std::string::npos);
}

// A failure's text belongs to its code, not to a thread: readable from another thread, after
// other failures, and still distinct when many threads fail at once.
void test_error_by_code(g4j_stream* s) {
  const int code = g4j_silu(s, G4J_F32, -31, nullptr, nullptr);
  CHECK(G4J_STATUS_OF(code) == kInvalid && (code >> 8) != 0);
  std::string seen_elsewhere;
  std::thread reader([&] { seen_elsewhere = message_of(code); });
  reader.join();
  CHECK(seen_elsewhere.find("g4j_silu") != std::string::npos);
  CHECK(seen_elsewhere.find("-31") != std::string::npos);
  g4j_fill(s, G4J_F32, -32, 0.0f, nullptr);  // a later failure on this thread
  CHECK(message_of(code).find("-31") != std::string::npos);
  CHECK(std::string(g4j_last_error()).find("-32") != std::string::npos);

  // 8 threads x 100 failures, each naming its own n; every code must give back its own text.
  std::vector<std::thread> threads;
  std::vector<int> wrong(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        const int n = -(1000 * (t + 1) + i);
        const int c = g4j_fill(s, G4J_F32, n, 0.0f, nullptr);
        const std::string want = "got " + std::to_string(n);
        if (G4J_STATUS_OF(c) != kInvalid || message_of(c).find(want) == std::string::npos) ++wrong[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) CHECK(wrong[t] == 0);

  // The library keeps the last 1024 texts; an older code says so instead of showing another's.
  for (int i = 0; i < 1100; ++i) g4j_fill(s, G4J_F32, -1, 0.0f, nullptr);
  const std::string old = message_of(code);
  CHECK(old.find("no longer kept") != std::string::npos);
  CHECK(message_of(G4J_OK).empty());
  CHECK(message_of(G4J_ERR_INVALID_ARGUMENT).empty());  // a bare status carries no id
  char tiny[4];
  const size_t full = g4j_error_message(g4j_fill(s, G4J_F32, -5, 0.0f, nullptr), tiny, sizeof tiny);
  CHECK(full > 3 && std::strlen(tiny) == 3);  // truncated, terminated, full length returned
  CHECK(g4j_error_message(code, nullptr, 0) > 0);
}

// g4j_mark_nonfinite's argument checks (its results are g4j_smoke's): any dtype on the CPU.
void test_mark_nonfinite_arguments(g4j_stream* s) {
  float x[6] = {1, 2, 3, 4, 5, 6};
  float steps[2] = {-1, -1};
  uint16_t half[6] = {0, 0, 0, 0, 0x7c00, 0};  // +inf in F16 in sample 1
  EXPECT_OK(g4j_mark_nonfinite(s, G4J_F16, 2, 3, half, 4, steps));
  CHECK(steps[0] == -1.0f && steps[1] == 4.0f);
  EXPECT_OK(g4j_mark_nonfinite(s, G4J_F32, 0, 3, nullptr, 0, nullptr));
  EXPECT_OK(g4j_mark_nonfinite(s, G4J_F32, 2, 0, nullptr, 0, steps));
  EXPECT_ERROR(g4j_mark_nonfinite(s, G4J_F32, 2, 3, nullptr, 0, steps), kInvalid,
               "g4j_mark_nonfinite", "'x'");
  EXPECT_ERROR(g4j_mark_nonfinite(s, G4J_F32, 2, 3, x, 0, nullptr), kInvalid,
               "g4j_mark_nonfinite", "first_step");
  EXPECT_ERROR(g4j_mark_nonfinite(s, G4J_F32, -1, 3, x, 0, steps), kInvalid, "batch", "-1");
  EXPECT_ERROR(g4j_mark_nonfinite(s, G4J_F32, 2, -3, x, 0, steps), kInvalid, "per_sample");
  EXPECT_ERROR(g4j_mark_nonfinite(s, G4J_F32, 2, 3, x, -2, steps), kInvalid, "step", "-2");
  EXPECT_ERROR(g4j_mark_nonfinite(s, 9, 2, 3, x, 0, steps), kInvalid, "dtype", "9");
  EXPECT_ERROR(g4j_mark_nonfinite(s, G4J_F32, 1, 2, x, 0, x), kInvalid, "alias");
  EXPECT_ERROR(g4j_mark_nonfinite(s, G4J_F32, int64_t(1) << 62, 8, x, 0, steps), kInvalid,
               "overflow");
  EXPECT_ERROR(g4j_mark_nonfinite(nullptr, G4J_F32, 1, 1, x, 0, steps), kInvalid, "stream");
}

}  // namespace

int main() {
  int device_count = 0;
  test_devices(&device_count);
  g4j_stream* cpu = nullptr;
  if (g4j_stream_create(-1, &cpu) != G4J_OK) {
    std::printf("g4j_stream_create(-1): %s\n0 passed, 1 failed\n", g4j_last_error());
    return 1;
  }
  Scratch scratch;
  test_memory(cpu);
  test_cast(cpu);
  test_null_pointers(cpu, scratch);
  test_sizes(cpu, scratch);
  test_dtypes_and_layouts(cpu, scratch);
  test_per_sample_guidance(cpu, scratch);
  test_empty(cpu);
  test_thread_local_error(cpu);
  test_error_by_code(cpu);
  test_mark_nonfinite_arguments(cpu);
  g4j_stream_destroy(cpu);
  std::printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
