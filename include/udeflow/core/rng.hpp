#pragma once
/// \file rng.hpp
/// Counter-based random numbers (Random123 Philox4x32-10).  A draw depends only on
/// (key, counter): the same sample gets the same noise whatever the number of ranks
/// or the order of evaluation, and the "state" of a stream is just its counter.
/// Pure code, thread-safe, no allocation.
#include <Random123/philox.h>

#include <array>
#include <cmath>
#include <cstdint>

namespace udeflow {

class Philox {
 public:
  /// Four 32-bit words for key `key` and the 128-bit counter (c0, c1).
  static std::array<uint32_t, 4> Bits(uint64_t key, uint64_t c0, uint64_t c1) {
    r123::Philox4x32 g;
    r123::Philox4x32::key_type k = {{static_cast<uint32_t>(key), static_cast<uint32_t>(key >> 32)}};
    r123::Philox4x32::ctr_type c = {{static_cast<uint32_t>(c0), static_cast<uint32_t>(c0 >> 32),
                                     static_cast<uint32_t>(c1), static_cast<uint32_t>(c1 >> 32)}};
    r123::Philox4x32::ctr_type r = g(c, k);
    return {r[0], r[1], r[2], r[3]};
  }
  /// Two uniforms in the open interval (0, 1) with 53 random bits each.
  static void Uniform2(uint64_t key, uint64_t c0, uint64_t c1, double* u0, double* u1) {
    auto b = Bits(key, c0, c1);
    *u0 = ToUnit(b[0], b[1]);
    *u1 = ToUnit(b[2], b[3]);
  }
  /// Two independent standard normals (Box-Muller).
  static void Normal2(uint64_t key, uint64_t c0, uint64_t c1, double* z0, double* z1) {
    double u0, u1;
    Uniform2(key, c0, c1, &u0, &u1);
    const double r = std::sqrt(-2.0 * std::log(u0));
    const double a = 6.283185307179586476925286766559 * u1;
    *z0 = r * std::cos(a);
    *z1 = r * std::sin(a);
  }
  /// One uniform in (0,1) for a single-use counter.
  static double Uniform(uint64_t key, uint64_t c0, uint64_t c1) {
    double u0, u1;
    Uniform2(key, c0, c1, &u0, &u1);
    return u0;
  }

 private:
  static double ToUnit(uint32_t hi, uint32_t lo) {
    const uint64_t m =
        (static_cast<uint64_t>(hi) << 21) ^ (static_cast<uint64_t>(lo) >> 11);  // 53 bits
    return (static_cast<double>(m) + 0.5) * (1.0 / 9007199254740992.0);
  }
};

/// Pseudo-random integer in [0, n) keyed by (seed, a, b) (counter-based; 0 if n = 0).
inline uint64_t KeyedIndex(uint64_t seed, uint64_t a, uint64_t b, uint64_t n) {
  const auto bits = Philox::Bits(seed, a, b);
  const uint64_t x = (static_cast<uint64_t>(bits[0]) << 32) | bits[1];
  return n ? x % n : 0;
}

}  // namespace udeflow
