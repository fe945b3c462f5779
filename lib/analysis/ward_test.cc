#include "lib/analysis/ward.h"

#include <random>

#include "gtest/gtest.h"
#include "lib/analysis/seed_fixture.h"
#include "lib/analysis/silhouette.h"

namespace attn::analysis {
namespace {

Points Column(std::vector<double> v) {
  Points x(v.size(), 1);
  for (size_t i = 0; i < v.size(); ++i) x(i, 0) = v[i];
  return x;
}

TEST(WardLinkage, HandComputedOnALine) {
  // Ward distance between clusters = sqrt(2 n1 n2 / (n1 + n2)) * |centroid gap|:
  // {0,1} and {5,6}: sqrt(2) * 5; then {0,1,5,6} (centroid 3) and {20}: sqrt(1.6) * 17.
  absl::StatusOr<std::vector<Merge>> z = WardLinkage(Column({0, 1, 5, 6, 20}));
  ASSERT_TRUE(z.ok()) << z.status();
  ASSERT_EQ(z->size(), 4u);
  const Merge expected[] = {{0, 1, 1, 2}, {2, 3, 1, 2}, {5, 6, std::sqrt(2.0) * 5, 4},
                            {4, 7, std::sqrt(1.6) * 17, 5}};
  for (int m = 0; m < 4; ++m) {
    EXPECT_EQ((*z)[m].a, expected[m].a) << m;
    EXPECT_EQ((*z)[m].b, expected[m].b) << m;
    EXPECT_NEAR((*z)[m].distance, expected[m].distance, 1e-12) << m;
    EXPECT_EQ((*z)[m].size, expected[m].size) << m;
  }
  EXPECT_EQ(CutTree(*z, 5, 2), (std::vector<int>{0, 0, 0, 0, 1}));
  EXPECT_EQ(CutTree(*z, 5, 3), (std::vector<int>{0, 0, 1, 1, 2}));
  EXPECT_EQ(CutTree(*z, 5, 5), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(CutTree(*z, 5, 1), (std::vector<int>(5, 0)));
}

TEST(WardLinkage, MatchesScipyWithDuplicatePoints) {
  // scipy.cluster.hierarchy.ward of these points (scripts/analysis_reference.py style).
  Points x(6, 2);
  x << 0, 0, 0, 0, 1, 0, 3, 3, 3, 4, 10, 0;
  const Merge expected[] = {{0, 1, 0, 2}, {3, 4, 1, 2}, {2, 6, 1.15470054, 3},
                            {7, 8, 6.81664629, 5}, {5, 9, 11.24870363, 6}};
  absl::StatusOr<std::vector<Merge>> z = WardLinkage(x, 3);
  ASSERT_TRUE(z.ok());
  for (int m = 0; m < 5; ++m) {
    EXPECT_EQ((*z)[m].a, expected[m].a) << m;
    EXPECT_EQ((*z)[m].b, expected[m].b) << m;
    EXPECT_NEAR((*z)[m].distance, expected[m].distance, 1e-8) << m;
    EXPECT_EQ((*z)[m].size, expected[m].size) << m;
  }
}

TEST(WardLinkage, RejectsFewerThanTwoPoints) {
  EXPECT_EQ(WardLinkage(Column({1})).status().message(),
            "Ward clustering needs at least 2 rows; got 1");
}

// scipy.cluster.hierarchy.ward of the Jensen-Shannon distances of scripts/analysis_reference.py's
// profiles, cut_tree at k = 2..4, and silhouette_score(metric="precomputed") of each cut.
TEST(WardLinkage, MatchesScipyOnJensenShannonDistances) {
  Points p(6, 5);
  p << 0.7, 0.2, 0.1, 0, 0, 0.6, 0.3, 0.1, 0, 0, 0.1, 0.1, 0.1, 0.2, 0.5, 0.05, 0.05, 0.2, 0.2,
      0.5, 0.4, 0.4, 0.4, 0.4, 0.4, 1, 0, 0, 0, 0;
  const Dissimilarity& js = **FindDissimilarity("js");
  ASSERT_TRUE(js.prepare(&p).ok());
  absl::StatusOr<std::vector<Merge>> z = WardLinkage(p, 2, js);
  ASSERT_TRUE(z.ok()) << z.status();
  const Merge expected[] = {{0, 1, 0.100197342934487, 2}, {2, 3, 0.156560690416379, 2},
                            {4, 7, 0.355757246883481, 3}, {5, 6, 0.516802927620395, 3},
                            {8, 9, 1.230295954664054, 6}};
  for (int m = 0; m < 5; ++m) {
    EXPECT_EQ((*z)[m].a, expected[m].a) << m;
    EXPECT_EQ((*z)[m].b, expected[m].b) << m;
    EXPECT_NEAR((*z)[m].distance, expected[m].distance, 1e-14) << m;
    EXPECT_EQ((*z)[m].size, expected[m].size) << m;
  }
  const std::string labels[] = {"001110", "001112", "001123"};
  const double silhouette[] = {0.599808759748765, 0.559975533492325, 0.425907449186648};
  for (int k = 2; k <= 4; ++k) {
    const std::vector<int> cut = CutTree(*z, 6, k);
    std::string text;
    for (int label : cut) text += static_cast<char>('0' + label);
    EXPECT_EQ(text, labels[k - 2]);
    EXPECT_NEAR(*SilhouetteScore(p, cut, 1, js), silhouette[k - 2], 1e-14) << k;
  }
}

// scikit-learn 1.2.1 AgglomerativeClustering(n_clusters=k, linkage="ward") on the
// StandardScaler'd seed metrics, silhouette_score of its labels (scripts/analysis_reference.py).
// The issue gives k = 2, 3, 4 to 4 decimals: 0.4811, 0.4627, 0.5382.
TEST(Ward, SilhouetteSweepOnTheSeedMetricsMatchesScikitLearn) {
  const Points x = SeedPoints();
  absl::StatusOr<std::vector<Merge>> z = WardLinkage(x);
  ASSERT_TRUE(z.ok());
  const double expected[] = {0.4810807431, 0.4627357619, 0.5382099496, 0.5869519762,
                             0.6119473084, 0.6142443295, 0.5825484702};
  for (int k = 2; k <= 8; ++k) {
    absl::StatusOr<double> s = SilhouetteScore(x, CutTree(*z, x.rows(), k));
    ASSERT_TRUE(s.ok());
    EXPECT_NEAR(*s, expected[k - 2], 1e-6) << "k=" << k;
  }
  // The k = 4 partition itself, label for label (sklearn's labels happen to be numbered
  // in order of first appearance too).
  const std::string sklearn_k4 =
      "01200120012001200120012001200120012001200123012001200120012301230123012301230123012301"
      "2301230123";
  std::string ours;
  for (int label : CutTree(*z, x.rows(), 4)) ours += static_cast<char>('0' + label);
  EXPECT_EQ(ours, sklearn_k4);
}

}  // namespace
}  // namespace attn::analysis
