#include "lib/study/apportion.h"

#include <numeric>
#include <random>

#include "gtest/gtest.h"

namespace attn::study {
namespace {

using V = std::vector<int64_t>;

TEST(ApportionHeadsTest, HandComputedCases) {
  // Quotas 4 and 4.
  EXPECT_EQ(ApportionHeads({48, 48}, 8), (V{4, 4}));
  // Quotas 5 and 3.
  EXPECT_EQ(ApportionHeads({60, 36}, 8), (V{5, 3}));
  // Quotas 4.17, 2.5, 1.33: whole parts 4 + 2 + 1, the last seat to remainder .5.
  EXPECT_EQ(ApportionHeads({50, 30, 16}, 8), (V{4, 3, 1}));
  // Quotas 2.4, 1.6 (12 heads of 20 in 12:8): 2 + 1, the seat to .6.
  EXPECT_EQ(ApportionHeads({12, 8}, 4), (V{2, 2}));
  // The original's 96 heads in clusters of 12, 24, 36, 24 give its 1, 2, 3, 2 of 8.
  EXPECT_EQ(ApportionHeads({12, 24, 36, 24}, 8), (V{1, 2, 3, 2}));
}

TEST(ApportionHeadsTest, EveryClusterGetsOneWhileThereAreEnoughHeads) {
  // Quotas 7.5, .42, .08 give 8, 0, 0; the two small clusters get one each, the big one the
  // other 6.
  EXPECT_EQ(ApportionHeads({90, 5, 1}, 8), (V{6, 1, 1}));
  EXPECT_EQ(ApportionHeads({10, 1, 1}, 3), (V{1, 1, 1}));
  // Quotas 3.6, 0.3, 0.3, 3.6, 0.2 (sizes 36, 3, 3, 36, 2 of 80, 8 heads): 3, 0, 0, 3, 0 and
  // two seats to the .6 remainders give 4, 0, 0, 4, 0; then 1 each for three clusters and the
  // other 5 seats between the two large ones: quotas 2.5, 2.5, ties to the lower index.
  EXPECT_EQ(ApportionHeads({36, 3, 3, 36, 2}, 8), (V{3, 1, 1, 2, 1}));
}

TEST(ApportionHeadsTest, FewerHeadsThanClustersLeavesSomeWithout) {
  // Quotas 4/3, 1/3, 1/3: the one seat left goes to the equal remainders' larger cluster.
  EXPECT_EQ(ApportionHeads({1, 1, 4}, 2), (V{0, 0, 2}));
  EXPECT_EQ(ApportionHeads({4, 1, 1}, 2), (V{2, 0, 0}));
  // Equal clusters, equal remainders: the lower indices.
  EXPECT_EQ(ApportionHeads({5, 5, 5}, 2), (V{1, 1, 0}));
  EXPECT_EQ(ApportionHeads({5, 5, 5}, 0), (V{0, 0, 0}));
}

TEST(ApportionHeadsTest, EmptyClustersGetNothing) {
  // A layer where cluster 0 has no head: quotas 1.5 and 1.5 for the others.
  EXPECT_EQ(ApportionHeads({0, 4, 4}, 3), (V{0, 2, 1}));
  EXPECT_EQ(ApportionHeads({0, 7, 0}, 2), (V{0, 2, 0}));
}

TEST(ApportionHeadsTest, SumsToTheHeadsAndKeepsTheMinimum) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 2000; ++trial) {
    const int clusters = 1 + static_cast<int>(rng() % 8);
    V sizes(clusters);
    for (auto& s : sizes) s = static_cast<int64_t>(rng() % 40);
    if (std::accumulate(sizes.begin(), sizes.end(), int64_t{0}) == 0) sizes[0] = 1;
    const int64_t heads = static_cast<int64_t>(rng() % 16);
    const V out = ApportionHeads(sizes, heads);
    ASSERT_EQ(std::accumulate(out.begin(), out.end(), int64_t{0}), heads);
    int64_t nonempty = 0;
    for (int64_t s : sizes) nonempty += s > 0;
    for (int k = 0; k < clusters; ++k) {
      if (sizes[k] == 0) ASSERT_EQ(out[k], 0);
      if (sizes[k] > 0 && heads >= nonempty) ASSERT_GE(out[k], 1);
    }
  }
}

}  // namespace
}  // namespace attn::study
