#include "lib/analysis/silhouette.h"

#include <map>
#include <random>

#include "gtest/gtest.h"
#include "lib/analysis/seed_fixture.h"
#include "lib/analysis/ward.h"

namespace attn::analysis {
namespace {

// The definition with a full distance matrix, for comparison.
std::vector<double> BruteForce(const Points& x, const std::vector<int>& labels) {
  const int n = x.rows();
  std::vector<double> s(n);
  for (int i = 0; i < n; ++i) {
    std::map<int, std::pair<double, int>> by_cluster;
    for (int j = 0; j < n; ++j) {
      if (j == i) continue;
      auto& [sum, count] = by_cluster[labels[j]];
      sum += (x.row(i) - x.row(j)).norm();
      ++count;
    }
    if (by_cluster.count(labels[i]) == 0) continue;  // alone: 0
    const double a = by_cluster[labels[i]].first / by_cluster[labels[i]].second;
    double b = 1e300;
    for (auto& [label, sc] : by_cluster) {
      if (label != labels[i]) b = std::min(b, sc.first / sc.second);
    }
    s[i] = (b - a) / std::max(a, b);
  }
  return s;
}

TEST(SilhouetteSamples, MatchesScikitLearnOnASmallExample) {
  // sklearn.metrics.silhouette_samples(X, [0, 0, 0, 1, 1, 2]); the last point is alone.
  Points x(6, 2);
  x << 0, 0, 0, 0, 1, 0, 3, 3, 3, 4, 10, 0;
  absl::StatusOr<std::vector<double>> s = SilhouetteSamples(x, {0, 0, 0, 1, 1, 2});
  ASSERT_TRUE(s.ok()) << s.status();
  const double expected[] = {0.89180581, 0.89180581, 0.75240438, 0.75187813, 0.7927051, 0};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR((*s)[i], expected[i], 1e-8) << i;
  // Labels are names only: other integers give the same values.
  absl::StatusOr<std::vector<double>> renamed = SilhouetteSamples(x, {7, 7, 7, -1, -1, 40});
  EXPECT_EQ(*renamed, *s);
}

TEST(SilhouetteSamples, AgreesWithTheFullMatrixDefinitionForAnyThreadCount) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> g;
  std::uniform_int_distribution<int> label(0, 4);
  Points x(200, 3);
  std::vector<int> labels(200);
  for (int i = 0; i < 200; ++i) {
    x.row(i) << g(rng), g(rng), g(rng);
    labels[i] = label(rng);
  }
  const std::vector<double> expected = BruteForce(x, labels);
  const std::vector<double> one = *SilhouetteSamples(x, labels, 1);
  for (int i = 0; i < 200; ++i) EXPECT_NEAR(one[i], expected[i], 1e-12) << i;
  EXPECT_EQ(*SilhouetteSamples(x, labels, 3), one);
}

TEST(SilhouetteSamples, PinnedScikitLearnValuesOnTheSeedWardPartition) {
  const Points x = SeedPoints();
  const std::vector<int> labels = CutTree(*WardLinkage(x), x.rows(), 4);
  const std::vector<double> s = *SilhouetteSamples(x, labels, 2);
  const double sklearn[] = {0.493940920732, 0.512155945513, 0.488042711153, 0.463260645832,
                            0.514713530024};
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(s[i], sklearn[i], 1e-9) << i;
}

TEST(SilhouetteScore, NeedsTwoToNMinusOneClusters) {
  Points x(3, 1);
  x << 0, 1, 2;
  EXPECT_EQ(SilhouetteScore(x, {0, 0, 0}).status().message(),
            "silhouette needs 2 to n - 1 = 2 clusters; the labels form 1");
  EXPECT_FALSE(SilhouetteScore(x, {0, 1, 2}).ok());
  EXPECT_FALSE(SilhouetteScore(x, {0, 1}).ok());
  EXPECT_TRUE(SilhouetteScore(x, {0, 0, 1}).ok());
}

}  // namespace
}  // namespace attn::analysis
