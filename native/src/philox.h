// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11) and the
// normal mapping of g4j_randn, shared verbatim by the CPU backend and the CUDA kernels so both
// draw the same numbers (up to the last ulp of their logf/cosf/sinf).
#pragma once

#include <math.h>
#include <stdint.h>

#ifdef __CUDACC__
#define G4J_HD __host__ __device__
#else
#define G4J_HD
#endif

namespace g4j {

struct Philox4 {
  uint32_t v[4];
};

// One round: two 32x32->64 multiplies whose halves are mixed with the other counter words
// and the key.
G4J_HD inline Philox4 philox_round(Philox4 c, uint32_t k0, uint32_t k1) {
  const uint64_t p0 = uint64_t(0xD2511F53u) * c.v[0];
  const uint64_t p1 = uint64_t(0xCD9E8D57u) * c.v[2];
  const uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0);
  const uint32_t hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
  Philox4 r;
  r.v[0] = hi1 ^ c.v[1] ^ k0;
  r.v[1] = lo1;
  r.v[2] = hi0 ^ c.v[3] ^ k1;
  r.v[3] = lo0;
  return r;
}

// Random123's philox4x32_10: the key is bumped by the Weyl constants between rounds.
G4J_HD inline Philox4 philox4x32_10(Philox4 counter, uint32_t k0, uint32_t k1) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    counter = philox_round(counter, k0, k1);
  }
  return counter;
}

// u(r) = ((r >> 9) + 0.5) * 2^-23, evaluated in float: (r >> 9) + 0.5 < 2^23 is exact in float,
// and so is the product, so u lies strictly inside (0, 1): never 0 (log) and never 1 (which would
// give a zero radius), on every backend alike.
G4J_HD inline float philox_uniform(uint32_t r) {
  return (float(r >> 9) + 0.5f) * 0x1p-23f;
}

// Box-Muller in float: (sqrt(-2 ln u) cos(2 pi v), sqrt(-2 ln u) sin(2 pi v)).
G4J_HD inline void box_muller(float u, float v, float* z0, float* z1) {
  const float radius = sqrtf(-2.0f * logf(u));
  const float angle = 6.28318530717958647692f * v;
  *z0 = radius * cosf(angle);
  *z1 = radius * sinf(angle);
}

// The four normals of g4j_randn for element quad `quad` (elements 4*quad .. 4*quad+3) of global
// sample `sample`, as specified in guidance4j.h.
G4J_HD inline void randn4(uint64_t seed, uint32_t stream_id, uint64_t sample, uint64_t quad,
                          float z[4]) {
  Philox4 c;
  c.v[0] = uint32_t(quad);
  c.v[1] = uint32_t(sample);
  c.v[2] = uint32_t(sample >> 32);
  c.v[3] = stream_id;
  const Philox4 r = philox4x32_10(c, uint32_t(seed), uint32_t(seed >> 32));
  box_muller(philox_uniform(r.v[0]), philox_uniform(r.v[1]), &z[0], &z[1]);
  box_muller(philox_uniform(r.v[2]), philox_uniform(r.v[3]), &z[2], &z[3]);
}

}  // namespace g4j
