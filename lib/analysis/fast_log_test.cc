#include "lib/analysis/fast_log.h"

#include <cmath>
#include <random>

#include "gtest/gtest.h"

namespace attn::analysis {
namespace {

// Error in units in the last place of the exact result, std::log standing for it.
double UlpError(double y) {
  const double want = std::log(y);
  const double ulp = std::nextafter(std::fabs(want), INFINITY) - std::fabs(want);
  return std::fabs(FastLog(y) - want) / (want == 0 ? 1e-300 : ulp);
}

TEST(FastLog, ExactAtPowersOfTwoAndOne) {
  EXPECT_EQ(FastLog(1.0), 0.0);
  for (int e = -40; e <= 40; ++e) {
    EXPECT_LE(UlpError(std::ldexp(1.0, e)), 1.0) << e;
  }
}

TEST(FastLog, WithinTwoUlpOfStdLogOverTheRowPassDomain) {
  // The row pass takes log(a + 1e-9) for a in [0, 1]; cover that, both sides of the
  // sqrt(2)/2 reduction boundary, and the float32 values attention is made of.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> exponent(-31, 1);
  double worst = 0;
  for (int t = 0; t < 200000; ++t) worst = std::max(worst, UlpError(std::exp2(exponent(rng))));
  for (double y : {1e-9, 1e-9 + 1e-18, 0.70710678118654746, 0.70710678118654757, 0.5, 0.75,
                   1.4142135623730949, 1.4142135623730951, 0.999999999, 1.000000001, 2.0}) {
    worst = std::max(worst, UlpError(y));
  }
  for (float x = 1e-8f; x < 1.0f; x *= 1.0001f) worst = std::max(worst, UlpError(x + 1e-9));
  EXPECT_LE(worst, 2.0);
}

}  // namespace
}  // namespace attn::analysis
