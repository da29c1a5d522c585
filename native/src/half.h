// Scalar float <-> fp16 / bf16 conversions for host code, round-to-nearest-even, with NaN
// (kept quiet, sign and top payload bits preserved), infinities and fp16 subnormals exact.
// Bit patterns are moved with memcpy so the functions are well-defined C++ and vectorise.
#pragma once

#include <cstdint>
#include <cstring>

namespace g4j {

inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

inline float half_to_float(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t man = h & 0x3ffu;
  if (exp == 0) {
    // Subnormal (or zero): man * 2^-24 is exact in float.
    float mag = float(man) * 0x1p-24f;
    return bits_float(float_bits(mag) | sign);
  }
  if (exp == 31) {
    // NaN comes back quiet, as the F16C instruction does, so bulk and scalar paths agree.
    return bits_float(sign | 0x7f800000u | (man << 13) | (man ? 0x400000u : 0u));
  }
  return bits_float(sign | ((exp + 112u) << 23) | (man << 13));
}

inline uint16_t float_to_half(float f) {
  uint32_t x = float_bits(f);
  uint16_t sign = uint16_t((x >> 16) & 0x8000u);
  x &= 0x7fffffffu;
  if (x >= 0x7f800000u) {
    // Inf stays Inf; NaN keeps its top payload bits and is forced quiet so it stays NaN.
    if (x == 0x7f800000u) return uint16_t(sign | 0x7c00u);
    return uint16_t(sign | 0x7e00u | ((x >> 13) & 0x3ffu));
  }
  // 65520 is the midpoint between the largest half (65504) and 2^16; ties go to even = Inf.
  if (x >= 0x477ff000u) return uint16_t(sign | 0x7c00u);
  if (x < 0x38800000u) {
    // Result is an fp16 subnormal: count of 2^-24 units, rounded to nearest even.
    // At or below 2^-25 (a tie with zero, or less) the result is zero.
    if (x <= 0x33000000u) return sign;
    uint32_t exp = x >> 23;                // 102..112 here
    uint32_t man = (x & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126u - exp;           // 14..24
    uint32_t r = man >> shift;
    uint32_t rem = man & ((1u << shift) - 1u);
    uint32_t halfway = 1u << (shift - 1u);
    if (rem > halfway || (rem == halfway && (r & 1u))) ++r;  // may carry into the smallest normal
    return uint16_t(sign | r);
  }
  // Normal: rebias the exponent (127 -> 15) and round the 13 dropped mantissa bits; a carry
  // out of the mantissa correctly bumps the exponent.
  uint32_t r = (x - 0x38000000u) >> 13;
  uint32_t rem = x & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) ++r;
  return uint16_t(sign | r);
}

inline float bf16_to_float(uint16_t b) { return bits_float(uint32_t(b) << 16); }

inline uint16_t float_to_bf16(float f) {
  uint32_t x = float_bits(f);
  // NaN must not round into Inf (or change sign): truncate and force the quiet bit.
  if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 0x0040u);
  uint32_t rounding = 0x7fffu + ((x >> 16) & 1u);
  return uint16_t((x + rounding) >> 16);
}

}  // namespace g4j
