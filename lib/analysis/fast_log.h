// A natural logarithm for the head-metrics row pass: fdlibm's algorithm (error < 1 ulp),
// written without branches or library calls so a loop over it vectorises (std::log does
// not, and is most of the cost of the entropy).
#ifndef ATTN_LIB_ANALYSIS_FAST_LOG_H_
#define ATTN_LIB_ANALYSIS_FAST_LOG_H_

#include <cstdint>
#include <cstring>

namespace attn::analysis {

// log(y) for a positive, normal, finite y (callers guarantee it: the row pass takes the
// log of a + 1e-9 with 0 <= a <= 1). Other inputs give unspecified values.
inline double FastLog(double y) {
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kLg1 = 6.666666666666735130e-01, kLg2 = 3.999999999940941908e-01,
                   kLg3 = 2.857142874366239149e-01, kLg4 = 2.222219843214978396e-01,
                   kLg5 = 1.818357216161805012e-01, kLg6 = 1.531383769920937332e-01,
                   kLg7 = 1.479819860511658591e-01;
  uint64_t u;
  std::memcpy(&u, &y, sizeof u);
  // y = 2^k m with m in [sqrt(2)/2, sqrt(2)): shift the exponent field so that values from
  // sqrt(2)/2 up round into the next binade, then rebuild m around that boundary.
  u += uint64_t{0x3ff00000 - 0x3fe6a09e} << 32;
  // k + 1023 as a double without an int64 -> double conversion (AVX2 has none): the exponent
  // bits are the low mantissa bits of 2^52 + (k + 1023).
  const uint64_t biased_k = (u >> 52) | 0x4330000000000000ULL;
  double k;
  std::memcpy(&k, &biased_k, sizeof k);
  k -= 4503599627370496.0 + 1023.0;
  u = (u & 0x000fffffffffffffULL) + (uint64_t{0x3fe6a09e} << 32);
  double m;
  std::memcpy(&m, &u, sizeof m);
  const double f = m - 1.0;
  const double hfsq = 0.5 * f * f;
  const double s = f / (2.0 + f);
  const double z = s * s;
  const double w = z * z;
  const double t1 = w * (kLg2 + w * (kLg4 + w * kLg6));
  const double t2 = z * (kLg1 + w * (kLg3 + w * (kLg5 + w * kLg7)));
  const double r = t2 + t1;
  return k * kLn2Hi - ((hfsq - (s * (hfsq + r) + k * kLn2Lo)) - f);
}

}  // namespace attn::analysis

#endif  // ATTN_LIB_ANALYSIS_FAST_LOG_H_
