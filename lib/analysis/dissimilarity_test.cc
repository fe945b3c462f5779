#include "lib/analysis/dissimilarity.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace attn::analysis {
namespace {

// The attention profiles of scripts/analysis_reference.py (row 4 sums to 2: normalised first).
Points Profiles() {
  Points p(6, 5);
  p << 0.7, 0.2, 0.1, 0, 0, 0.6, 0.3, 0.1, 0, 0, 0.1, 0.1, 0.1, 0.2, 0.5, 0.05, 0.05, 0.2, 0.2,
      0.5, 0.4, 0.4, 0.4, 0.4, 0.4, 1, 0, 0, 0, 0;
  return p;
}

std::vector<double> Row(const Dissimilarity& d, const Points& x, int64_t i) {
  std::vector<double> out(x.rows());
  d.row(x, i, 0, x.rows(), out.data());
  return out;
}

TEST(JensenShannon, MatchesScipy) {
  const Dissimilarity& js = **FindDissimilarity("js");
  Points x = Profiles();
  ASSERT_TRUE(js.prepare(&x).ok());
  EXPECT_NEAR(x.row(4).sum(), 1, 1e-15);
  // scipy.spatial.distance.jensenshannon(p, q, base=2), upper triangle row by row.
  const double scipy[] = {0.100197342934487, 0.738125902276833, 0.799690479121687,
                          0.564237181478629, 0.411333022137846, 0.728463384532372,
                          0.794706694611547, 0.543145216764823, 0.486264123352760,
                          0.156560690416379, 0.290989133263012, 0.870790822869171,
                          0.342674447952920, 0.924660694787462, 0.781016355149486};
  int k = 0;
  for (int i = 0; i < 6; ++i) {
    const std::vector<double> row = Row(js, x, i);
    EXPECT_EQ(row[i], 0);
    for (int j = i + 1; j < 6; ++j) EXPECT_NEAR(row[j], scipy[k++], 1e-14) << i << "," << j;
  }
}

// JS = H(M) - (H(P) + H(Q)) / 2 in bits, M = (P + Q) / 2: another way to the same number.
double ByEntropies(const double* p, const double* q, int n) {
  auto h = [](double v) { return v > 0 ? -v * std::log2(v) : 0.0; };
  double hm = 0, hp = 0, hq = 0;
  for (int c = 0; c < n; ++c) {
    hm += h((p[c] + q[c]) / 2);
    hp += h(p[c]);
    hq += h(q[c]);
  }
  return std::sqrt(std::max(0.0, hm - (hp + hq) / 2));
}

TEST(JensenShannon, IsAMetricInZeroOneAndAgreesWithTheEntropyForm) {
  std::mt19937_64 rng(9);
  std::exponential_distribution<double> e(1);
  Points x(12, 64);
  for (int i = 0; i < x.rows(); ++i) {
    for (int c = 0; c < x.cols(); ++c) x(i, c) = (c % 5 == i % 5) ? 0 : e(rng);
  }
  const Dissimilarity& js = **FindDissimilarity("js");
  ASSERT_TRUE(js.prepare(&x).ok());
  std::vector<std::vector<double>> d;
  for (int i = 0; i < x.rows(); ++i) d.push_back(Row(js, x, i));
  for (int i = 0; i < x.rows(); ++i) {
    for (int j = 0; j < x.rows(); ++j) {
      EXPECT_NEAR(d[i][j], ByEntropies(x.row(i).data(), x.row(j).data(), 64), 1e-7);
      EXPECT_EQ(d[i][j], d[j][i]);
      EXPECT_GE(d[i][j], 0);
      EXPECT_LE(d[i][j], 1);
      for (int k = 0; k < x.rows(); ++k) EXPECT_LE(d[i][j], d[i][k] + d[k][j] + 1e-12);
    }
  }
}

TEST(JensenShannon, RefusesWhatIsNotADistribution) {
  const Dissimilarity& js = **FindDissimilarity("js");
  Points negative(2, 2), zero(2, 2);
  negative << 0.5, 0.5, -0.1, 1.1;
  zero << 0.5, 0.5, 0, 0;
  EXPECT_EQ(js.prepare(&negative).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(js.prepare(&zero).message(), "row 2 sums to 0; the js distance needs distributions");
}

TEST(Euclidean, IsTheNorm) {
  Points x(2, 3);
  x << 0, 0, 0, 1, 2, 2;
  EXPECT_EQ(Row(Euclidean(), x, 0), (std::vector<double>{0, 3}));
  EXPECT_EQ(FindDissimilarity("x").status().message(),
            "`distance`=x is not one of euclidean, js");
  EXPECT_EQ(FindDissimilarity("x").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attn::analysis
