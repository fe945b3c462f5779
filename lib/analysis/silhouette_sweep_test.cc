#include "lib/analysis/silhouette_sweep.h"

#include "gtest/gtest.h"
#include "lib/analysis/seed_fixture.h"
#include "lib/analysis/ward.h"

namespace attn::analysis {
namespace {

TEST(SilhouetteSweep, TheBestWardKOfTheSeedMetricsIsSeven) {
  // The original chose k = 4 by hand and its text claims k = 5 scores highest; on its own
  // metrics the Ward silhouettes (scikit-learn's, pinned in ward_test) peak at k = 7.
  const Points x = SeedPoints();
  const std::vector<Merge> z = *WardLinkage(x);
  absl::StatusOr<std::vector<SweepRow>> rows =
      SilhouetteSweep(x, Euclidean(), 2, 8, 2, [&](int k) -> absl::StatusOr<std::vector<int>> {
        return CutTree(z, x.rows(), k);
      });
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 7u);
  EXPECT_EQ((*rows)[0].k, 2);
  EXPECT_NEAR((*rows)[5].silhouette, 0.6142443295, 1e-9);
  EXPECT_EQ(BestK(*rows), 7);
}

TEST(BestK, TakesTheSmallestKOnATie) {
  EXPECT_EQ(BestK({{2, 0.5}, {3, 0.7}, {4, 0.7}, {5, 0.1}}), 3);
  EXPECT_EQ(BestK({{2, -0.1}}), 2);
}

TEST(SweepKMax, ChecksTheRangeAndLowersKMaxToNMinusOne) {
  EXPECT_EQ(CheckSweepRange(1, 3).message(), "`k_min`=1, `k_max`=3: need 2 <= k_min <= k_max");
  EXPECT_EQ(CheckSweepRange(4, 3).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckSweepRange(2, 2).ok());
  EXPECT_EQ(*SweepKMax(2, 8, 96), 8);
  EXPECT_EQ(*SweepKMax(2, 8, 4), 3);
  EXPECT_EQ(SweepKMax(3, 8, 3).status().message(),
            "the input has 3 rows; the silhouette needs k <= n - 1 = 2 but `k_min`=3");
  EXPECT_EQ(SweepKMax(3, 8, 3).status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace attn::analysis
