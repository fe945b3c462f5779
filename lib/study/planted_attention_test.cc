#include "lib/study/planted_attention.h"

#include <algorithm>
#include <cmath>

#include "gtest/gtest.h"

namespace attn::study {
namespace {

using model::AttentionPattern;

// window 3 + stride 5 + anchor column 7 at L = 12, painted by hand.
bool Allowed(int64_t i, int64_t j) { return j <= i && (i - j <= 3 || j % 5 == 0 || j == 7); }

TEST(PlantedAttentionTest, RowsAreProbabilitiesOnTheAllowedKeys) {
  const AttentionPattern p{3, 5, {7.0 / 11.0}};
  const std::vector<float> a = PlantedAttention(p, 12, 0.0, 1);
  ASSERT_EQ(a.size(), 144u);
  for (int64_t i = 0; i < 12; ++i) {
    double sum = 0, low = 1, high = 0;
    for (int64_t j = 0; j < 12; ++j) {
      const float x = a[i * 12 + j];
      EXPECT_EQ(x > 0, Allowed(i, j)) << i << "," << j;
      if (x > 0) low = std::min<double>(low, x), high = std::max<double>(high, x);
      sum += x;
    }
    EXPECT_NEAR(sum, 1.0, 1e-6) << "row " << i;
    // Weights in [0.5, 1.5): no entry of a row reaches 3 times another.
    EXPECT_LT(high, 3 * low) << "row " << i;
  }
}

TEST(PlantedAttentionTest, NoiseSpreadsOverEveryCausalKey) {
  const AttentionPattern p{1, 0, {}};
  const std::vector<float> a = PlantedAttention(p, 10, 0.1, 2);
  for (int64_t i = 0; i < 10; ++i) {
    double sum = 0, outside = 0;
    for (int64_t j = 0; j < 10; ++j) {
      const float x = a[i * 10 + j];
      if (j > i) {
        EXPECT_EQ(x, 0.0f);
        continue;
      }
      EXPECT_GE(x, 0.1f / (i + 1) * (1 - 1e-6f));
      if (i - j > 1) outside += x;
      sum += x;
    }
    EXPECT_NEAR(sum, 1.0, 1e-6);
    EXPECT_NEAR(outside, 0.1 * std::max<int64_t>(0, i - 1) / (i + 1), 1e-6) << "row " << i;
  }
}

TEST(PlantedAttentionTest, RowsWithoutKeysGetTheNoiseOrNothing) {
  const AttentionPattern anchors_only{std::nullopt, 0, {0.5}};  // column 4 of L = 9
  const std::vector<float> clean = PlantedAttention(anchors_only, 9, 0.0, 3);
  for (int64_t j = 0; j < 9; ++j) EXPECT_EQ(clean[2 * 9 + j], 0.0f);
  EXPECT_EQ(clean[6 * 9 + 4], 1.0f);
  const std::vector<float> noisy = PlantedAttention(anchors_only, 9, 0.2, 3);
  for (int64_t j = 0; j <= 2; ++j) EXPECT_FLOAT_EQ(noisy[2 * 9 + j], 1.0f / 3);
}

TEST(PlantedAttentionTest, EqualSeedsGiveEqualMatrices) {
  const AttentionPattern p{2, 3, {}};
  EXPECT_EQ(PlantedAttention(p, 16, 0.05, 7), PlantedAttention(p, 16, 0.05, 7));
  EXPECT_NE(PlantedAttention(p, 16, 0.05, 7), PlantedAttention(p, 16, 0.05, 8));
}

}  // namespace
}  // namespace attn::study
