#include "lib/model/dropout_hash.h"

#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace attn::model::dropout_hash {
namespace {

TEST(DropThreshold, ScalesTheProbabilityToThirtyTwoBits) {
  EXPECT_EQ(DropThreshold(0.0), 0u);
  EXPECT_EQ(DropThreshold(0.5), 0x80000000u);
  EXPECT_EQ(DropThreshold(0.25), 0x40000000u);
  EXPECT_EQ(DropThreshold(1.0), 0xffffffffu);
}

// The mask of a (slice, query) grid: the decisions of rows x keys pairs.
std::vector<uint8_t> Mask(uint64_t seed, uint64_t slice, int64_t rows, int64_t keys, double p) {
  std::vector<uint8_t> keep;
  const uint32_t threshold = DropThreshold(p);
  for (int64_t i = 0; i < rows; ++i) {
    const uint64_t key = RowKey(seed, slice, i);
    for (int64_t j = 0; j < keys; ++j) keep.push_back(Keep(key, static_cast<uint32_t>(j), threshold));
  }
  return keep;
}

// Bernoulli(1 - p) statistics: the kept fraction within 5 standard errors, for several p
// and seeds; neighbours in a row, in a column and across slices uncorrelated (their joint
// keep frequency is (1 - p)^2 within 5 standard errors).
TEST(Keep, IsBernoulliAndIndependentAcrossPairs) {
  const int64_t rows = 512, keys = 512;
  for (const double p : {0.05, 0.1, 0.3, 0.5}) {
    for (const uint64_t seed : {1ull, 42ull, 0x123456789abcdefull}) {
      const std::vector<uint8_t> a = Mask(seed, 3, rows, keys, p);
      const std::vector<uint8_t> b = Mask(seed, 4, rows, keys, p);
      const double n = rows * keys, q = 1 - p;
      double kept = 0, right = 0, down = 0, across = 0;
      for (int64_t i = 0; i < rows; ++i) {
        for (int64_t j = 0; j < keys; ++j) {
          const int64_t x = i * keys + j;
          kept += a[x];
          if (j + 1 < keys) right += a[x] && a[x + 1];
          if (i + 1 < rows) down += a[x] && a[x + keys];
          across += a[x] && b[x];
        }
      }
      const double se = std::sqrt(q * (1 - q) / n), se2 = std::sqrt(q * q * (1 - q * q) / n);
      EXPECT_NEAR(kept / n, q, 5 * se) << "p " << p << " seed " << seed;
      EXPECT_NEAR(right / (rows * (keys - 1)), q * q, 5 * se2) << "p " << p;
      EXPECT_NEAR(down / ((rows - 1) * keys), q * q, 5 * se2) << "p " << p;
      EXPECT_NEAR(across / n, q * q, 5 * se2) << "p " << p;
    }
  }
}

TEST(Keep, IsAFunctionOfItsArgumentsOnly) {
  EXPECT_EQ(Mask(7, 2, 64, 64, 0.3), Mask(7, 2, 64, 64, 0.3));
  EXPECT_NE(Mask(7, 2, 64, 64, 0.3), Mask(8, 2, 64, 64, 0.3));
  EXPECT_NE(Mask(7, 2, 64, 64, 0.3), Mask(7, 3, 64, 64, 0.3));
}

// Row keys are distinct over a realistic grid of slices and rows.
TEST(RowKey, DistinctAcrossSlicesAndRows) {
  std::set<uint64_t> keys;
  for (uint64_t slice = 0; slice < 64; ++slice) {
    for (uint64_t row = 0; row < 4096; ++row) keys.insert(RowKey(99, slice, row));
  }
  EXPECT_EQ(keys.size(), 64u * 4096u);
}

}  // namespace
}  // namespace attn::model::dropout_hash
