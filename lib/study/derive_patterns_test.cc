#include "lib/study/derive_patterns.h"

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "lib/study/planted_attention.h"

namespace attn::study {
namespace {

using model::AttentionPattern;
using model::PatternAtLength;

// An independent reading of a pattern (docs/design.md, "Attention patterns"): band, stride
// columns and anchor columns painted onto a grid, cut by causality.
std::vector<std::vector<bool>> Painted(const AttentionPattern& p, int64_t n) {
  std::vector<std::vector<bool>> m(n, std::vector<bool>(n, false));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j <= i; ++j) {
      bool allowed = p.window.has_value() && (*p.window < 0 || i - j <= *p.window);
      if (p.stride > 0 && j % p.stride == 0) allowed = true;
      for (double r : p.anchors) {
        if (j == std::min<int64_t>(n - 1, static_cast<int64_t>(std::floor(r * (n - 1))))) allowed = true;
      }
      m[i][j] = allowed;
    }
  }
  return m;
}

int64_t PaintedPairs(const AttentionPattern& p, int64_t n) {
  int64_t pairs = 0;
  for (const auto& row : Painted(p, n))
    for (bool b : row) pairs += b;
  return pairs;
}

double PaintedCoverage(const std::vector<double>& mass, const AttentionPattern& p, int64_t n) {
  const auto m = Painted(p, n);
  double total = 0, covered = 0;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j <= i; ++j) {
      total += mass[i * n + j];
      if (m[i][j]) covered += mass[i * n + j];
    }
  }
  return covered / total;
}

// The mean of `heads` planted heads of one pattern (different weights), as a cluster's.
std::vector<double> ClusterMean(const AttentionPattern& p, int64_t n, double noise, int heads) {
  std::vector<double> mean(n * n, 0.0);
  for (int h = 0; h < heads; ++h) {
    const std::vector<float> a = PlantedAttention(p, n, noise, 100 + h);
    for (size_t k = 0; k < mean.size(); ++k) mean[k] += a[k] / heads;
  }
  return mean;
}

struct Planted {
  std::string name;
  AttentionPattern truth;
};

std::vector<Planted> PlantedStructures() {
  return {
      {"local", {8, 0, {}}},
      {"wide_local", {24, 0, {}}},
      {"strided", {32, 8, {}}},
      {"anchored", {std::nullopt, 0, {0.0, 0.25, 0.5, 0.75, 1.0}}},
      {"global", *model::BuiltinPattern("global")},
      {"local_and_sink", {4, 0, {0.0}}},
  };
}

TEST(AnchorFractionTest, MapsBackToTheColumnAtEveryLength) {
  for (int64_t n : {1, 2, 3, 7, 10, 100, 128, 999, 1000, 1024, 4097}) {
    for (int64_t c = 0; c < n; ++c) {
      const double r = AnchorFraction(c, n);
      ASSERT_GE(r, 0.0);
      ASSERT_LE(r, 1.0);
      ASSERT_EQ(std::min<int64_t>(n - 1, static_cast<int64_t>(std::floor(r * (n - 1)))), c) << c << " of " << n;
      const PatternAtLength p(AttentionPattern{std::nullopt, 0, {r}}, n);
      ASSERT_EQ(p.anchor_columns(), std::vector<int64_t>{c});
    }
  }
  EXPECT_EQ(AnchorFraction(0, 1024), 0.0);
  EXPECT_EQ(AnchorFraction(1023, 1024), 1.0);
  EXPECT_EQ(AnchorFraction(341, 1024), 1.0 / 3);  // column / (L - 1) itself where it maps back
}

TEST(StrideCandidatesTest, SmallStridesThenPowersOfTwoWithFourColumns) {
  EXPECT_EQ(StrideCandidates(10), (std::vector<int64_t>{2, 3}));  // 0, 3, 6, 9
  EXPECT_EQ(StrideCandidates(64), (std::vector<int64_t>{2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
                                                        18, 19, 20, 21}));
  std::vector<int64_t> expected;
  for (int64_t s = 2; s <= 32; ++s) expected.push_back(s);
  for (int64_t s : {64, 128, 256}) expected.push_back(s);
  EXPECT_EQ(StrideCandidates(1024), expected);
  EXPECT_EQ(StrideCandidates(1025), expected);
  expected.push_back(512);
  EXPECT_EQ(StrideCandidates(1537), expected);
  EXPECT_TRUE(StrideCandidates(6).empty());
}

// With coverage 1 every positive entry must be allowed, so the cheapest pattern is the planted
// support itself; the tie-breaks then choose the planted description.
TEST(FitPatternTest, FullCoverageRecoversThePlantedSupport) {
  const int64_t n = 256;
  for (const Planted& p : PlantedStructures()) {
    SCOPED_TRACE(p.name);
    const std::vector<double> mean = ClusterMean(p.truth, n, 0.0, 3);
    absl::StatusOr<PatternFit> fit = FitPattern(mean, n, 1.0);
    ASSERT_TRUE(fit.ok()) << fit.status();
    EXPECT_EQ(Painted(fit->pattern, n), Painted(p.truth, n)) << model::DescribePattern(fit->pattern);
    EXPECT_EQ(fit->pairs, PaintedPairs(p.truth, n));
    EXPECT_NEAR(fit->coverage, 1.0, 1e-12);
  }
}

TEST(FitPatternTest, FullCoveragePrefersBandAndStrideToAnchors) {
  const int64_t n = 128;
  absl::StatusOr<PatternFit> local = FitPattern(ClusterMean({8, 0, {}}, n, 0.0, 2), n, 1.0);
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->pattern, (AttentionPattern{8, 0, {}}));
  absl::StatusOr<PatternFit> strided = FitPattern(ClusterMean({32, 8, {}}, n, 0.0, 2), n, 1.0);
  ASSERT_TRUE(strided.ok());
  EXPECT_EQ(strided->pattern, (AttentionPattern{32, 8, {}}));
}

// The criterion on clean and noisy clusters: coverage >= 0.9 (measured here on the
// painted pattern) at no more than 1.5x the planted pattern's pairs.
TEST(FitPatternTest, RecoversPlantedStructureAtNinetyPercent) {
  for (int64_t n : {64, 256}) {
    for (double noise : {0.0, 0.05}) {
      for (const Planted& p : PlantedStructures()) {
        SCOPED_TRACE(p.name + " L=" + std::to_string(n) + " noise=" + std::to_string(noise));
        const std::vector<double> mean = ClusterMean(p.truth, n, noise, 4);
        absl::StatusOr<PatternFit> fit = FitPattern(mean, n, 0.9);
        ASSERT_TRUE(fit.ok()) << fit.status();
        const double coverage = PaintedCoverage(mean, fit->pattern, n);
        EXPECT_GE(coverage, 0.9) << model::DescribePattern(fit->pattern);
        EXPECT_NEAR(fit->coverage, coverage, 1e-9);
        EXPECT_EQ(fit->pairs, PaintedPairs(fit->pattern, n));
        EXPECT_LE(fit->pairs, 1.5 * PaintedPairs(p.truth, n)) << model::DescribePattern(fit->pattern);
      }
    }
  }
}

// Every pattern of the searched family at L = 10 (windows, strides, any anchor set): the fit
// is never worse than the best pattern without anchors (which the search covers exactly),
// never better than the true optimum, and within 1.5x of it on these matrices.
TEST(FitPatternTest, AgainstBruteForceOverTheWholeFamily) {
  const int64_t n = 10;
  std::mt19937_64 rng(5);
  std::exponential_distribution<double> expo(1.0);
  std::vector<int64_t> strides = {0};
  for (int64_t s : StrideCandidates(n)) strides.push_back(s);
  for (int trial = 0; trial < 12; ++trial) {
    std::vector<double> mass(n * n, 0.0);
    if (trial < 6) {
      // Random positive attention, peaked: exp(3 * N(0, 1)) weights.
      std::normal_distribution<double> z(0, 1);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j <= i; ++j) mass[i * n + j] = std::exp(3 * z(rng));
    } else {
      const std::vector<float> a = PlantedAttention(PlantedStructures()[trial - 6].truth, n, 0.1, trial);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j <= i; ++j) mass[i * n + j] = a[i * n + j] + 0.01 * expo(rng);
    }
    double total = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j <= i; ++j) total += mass[i * n + j];
    // (pairs, coverage, has anchors) of every pattern: a painted band-and-stride base, plus any
    // set of whole columns, each adding what the base leaves of it.
    struct Point {
      int64_t pairs;
      double coverage;
      bool anchors;
    };
    std::vector<Point> family;
    for (int64_t w = -2; w < n; ++w) {  // -2: no band; -1: unbounded
      for (int64_t s : strides) {
        AttentionPattern base;
        if (w >= -1) base.window = w;
        base.stride = s;
        const auto grid = Painted(base, n);
        double base_mass = 0;
        int64_t base_pairs = 0;
        std::vector<double> column_mass(n, 0.0);
        std::vector<int64_t> column_pairs(n, 0);
        for (int64_t i = 0; i < n; ++i) {
          for (int64_t j = 0; j <= i; ++j) {
            if (grid[i][j]) {
              base_mass += mass[i * n + j];
              ++base_pairs;
            } else {
              column_mass[j] += mass[i * n + j];
              ++column_pairs[j];
            }
          }
        }
        for (int mask = 0; mask < (1 << n); ++mask) {
          double covered = base_mass;
          int64_t pairs = base_pairs;
          for (int64_t c = 0; c < n; ++c) {
            if (mask >> c & 1) covered += column_mass[c], pairs += column_pairs[c];
          }
          family.push_back({pairs, covered / total, mask != 0});
        }
      }
    }
    for (double target : {0.5, 0.8, 0.9, 0.99}) {
      SCOPED_TRACE("trial " + std::to_string(trial) + " coverage " + std::to_string(target));
      absl::StatusOr<PatternFit> fit = FitPattern(mass, n, target);
      ASSERT_TRUE(fit.ok()) << fit.status();
      ASSERT_GE(PaintedCoverage(mass, fit->pattern, n), target - 1e-12);
      ASSERT_EQ(fit->pairs, PaintedPairs(fit->pattern, n));
      int64_t optimum = std::numeric_limits<int64_t>::max(), no_anchors = optimum;
      for (const Point& p : family) {
        if (p.coverage < target - 1e-12) continue;
        optimum = std::min(optimum, p.pairs);
        if (!p.anchors) no_anchors = std::min(no_anchors, p.pairs);
      }
      EXPECT_GE(fit->pairs, optimum);
      EXPECT_LE(fit->pairs, no_anchors);
      EXPECT_LE(fit->pairs, 1.5 * optimum) << model::DescribePattern(fit->pattern);
    }
  }
}

TEST(FitPatternTest, UniformCausalAttentionNeedsEveryPairForFullCoverage) {
  const int64_t n = 32;
  std::vector<double> mass(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j) mass[i * n + j] = 1.0 / (i + 1);
  absl::StatusOr<PatternFit> fit = FitPattern(mass, n, 1.0);
  ASSERT_TRUE(fit.ok());
  EXPECT_TRUE(fit->pattern.IsDense()) << model::DescribePattern(fit->pattern);
  EXPECT_EQ(fit->pairs, model::CausalPairCount(n));
  absl::StatusOr<PatternFit> half = FitPattern(mass, n, 0.5);
  ASSERT_TRUE(half.ok());
  EXPECT_LT(half->pairs, model::CausalPairCount(n));
  EXPECT_GE(PaintedCoverage(mass, half->pattern, n), 0.5);
}

TEST(FitPatternTest, EntriesAboveTheDiagonalAreIgnored) {
  const int64_t n = 16;
  std::vector<double> mass(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    mass[i * n + i] = 1.0;
    if (i + 3 < n) mass[i * n + i + 3] = 5.0;  // no causal pattern can hold it
  }
  absl::StatusOr<PatternFit> fit = FitPattern(mass, n, 1.0);
  ASSERT_TRUE(fit.ok());
  EXPECT_EQ(fit->pattern, (AttentionPattern{0, 0, {}}));
  EXPECT_DOUBLE_EQ(fit->coverage, 1.0);
}

TEST(FitPatternTest, BadInputsAreInvalidArgument) {
  const int64_t n = 4;
  std::vector<double> mass(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i) mass[i * n] = 1.0;
  EXPECT_TRUE(FitPattern(mass, n, 0.9).ok());
  for (double c : {0.0, -0.1, 1.5, std::nan("")}) {
    absl::StatusOr<PatternFit> fit = FitPattern(mass, n, c);
    EXPECT_EQ(fit.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(fit.status().message().find("coverage"), std::string::npos) << fit.status();
  }
  EXPECT_EQ(FitPattern(mass, 5, 0.9).status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<double> bad = mass;
  bad[2 * n + 1] = -1;
  EXPECT_NE(FitPattern(bad, n, 0.9).status().message().find("entry [2, 1] is -1"), std::string::npos);
  bad[2 * n + 1] = std::nan("");
  EXPECT_EQ(FitPattern(bad, n, 0.9).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(FitPattern(std::vector<double>(n * n, 0.0), n, 0.9).status().message().find("no attention mass"),
            std::string::npos);
}

}  // namespace
}  // namespace attn::study
