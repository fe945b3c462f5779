#include "lib/analysis/head_metric_table.h"

#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace attn::analysis {
namespace {

// The sums by their definitions, in double, every entry visited with std::log.
MatrixSums BruteForce(const std::vector<float>& x, int n, double threshold,
                      const std::string& window) {
  MatrixSums s;
  s.length = n;
  s.rows = n;
  s.profile.assign(n, 0.0);
  for (int i = 0; i < n; ++i) {
    double row = 0;
    for (int j = 0; j < n; ++j) row += x[i * n + j];
    for (int j = 0; j < n; ++j) {
      const double a = x[i * n + j] / (row + 1e-9);
      s.entropy -= a * std::log(a + 1e-9);
      s.below += a < threshold;
      s.weighted_distance += a * std::abs(i - j);
      s.mass += a;
      if (j == i - 1) s.prev += a;
      if (j == i) s.self += a;
      if (j == 0) s.first += a;
      for (int c = 0; c < kNumByteClasses; ++c) {
        if (!window.empty() && kByteClasses[c].bytes.find(window[j]) != std::string::npos) {
          s.class_mass[c] += a;
        }
      }
      s.profile[std::abs(i - j)] += a;
    }
  }
  return s;
}

void ExpectNear(const MatrixSums& got, const MatrixSums& want, bool classes) {
  EXPECT_EQ(got.rows, want.rows);
  EXPECT_NEAR(got.entropy, want.entropy, 1e-12 * std::max(1.0, std::fabs(want.entropy)));
  EXPECT_EQ(got.below, want.below);
  EXPECT_NEAR(got.weighted_distance, want.weighted_distance, 1e-12 * want.weighted_distance);
  EXPECT_NEAR(got.mass, want.mass, 1e-13 * want.mass);
  EXPECT_NEAR(got.prev, want.prev, 1e-14);
  EXPECT_NEAR(got.self, want.self, 1e-14);
  EXPECT_NEAR(got.first, want.first, 1e-14);
  for (int c = 0; c < kNumByteClasses; ++c) {
    EXPECT_NEAR(got.class_mass[c], classes ? want.class_mass[c] : 0.0, 1e-13) << c;
  }
  ASSERT_EQ(got.profile.size(), want.profile.size());
  for (size_t d = 0; d < want.profile.size(); ++d) {
    EXPECT_NEAR(got.profile[d], want.profile[d], 1e-13) << d;
  }
}

// Rows of every kind the pass has a path for: causal rows (trailing zeros), banded rows
// (leading zeros), zeros inside the span, rows that do not sum to 1, an all-zero row, and
// lengths that are not a multiple of the vector lanes.
std::vector<float> Mixed(int n, std::mt19937_64* rng) {
  std::normal_distribution<double> logit(0, 3);
  std::uniform_int_distribution<int> kind(0, 4);
  std::vector<float> x(n * n, 0.0f);
  for (int i = 0; i < n; ++i) {
    const int k = i == n / 2 ? 5 : kind(*rng);
    const int lo = k == 1 ? std::max(0, i - 8) : 0;
    const int hi = k == 2 ? n : i + 1;
    for (int j = lo; j < hi; ++j) {
      if (k == 3 && j % 3 == 1) continue;
      x[i * n + j] = static_cast<float>(std::exp(logit(*rng)) * (k == 4 ? 3 : 1));
    }
    if (k == 5) std::fill(x.begin() + i * n, x.begin() + (i + 1) * n, 0.0f);
  }
  return x;
}

TEST(AddRows, MatchesTheDefinitionsOnEveryKindOfRow) {
  std::mt19937_64 rng(11);
  for (int n : {1, 2, 7, 8, 9, 33, 100}) {
    const std::vector<float> x = Mixed(n, &rng);
    std::string window(n, 'a');
    for (int j = 0; j < n; ++j) window[j] = " \n<[07xy"[j % 8];
    const std::vector<double> masks = ClassMasks(window);
    RowPass pass;
    pass.class_masks = masks.data();
    pass.profile = true;
    MatrixSums got;
    ASSERT_TRUE(AddRows(x.data(), 0, n, n, pass, &got).ok());
    ExpectNear(got, BruteForce(x, n, 1e-4, window), true);
    // The same rows added in pieces and then merged give the same sums.
    MatrixSums pieces;
    for (int first = 0; first < n; first += 3) {
      MatrixSums part;
      const int count = std::min(3, n - first);
      ASSERT_TRUE(AddRows(x.data() + first * n, first, count, n, pass, &part).ok());
      pieces.Add(part);
    }
    ExpectNear(pieces, got, true);
  }
}

TEST(AddRows, HandComputedPositionScores) {
  // Row 0: itself. Row 1: 1/4 on byte 0, 3/4 on itself. Row 2: 1/2 on byte 0, 1/2 on byte 1.
  const std::vector<float> x = {1, 0, 0, 0.25f, 0.75f, 0, 0.5f, 0.5f, 0};
  const std::vector<double> masks = ClassMasks(" 7[");  // byte 0 a space, byte 1 a digit
  RowPass pass;
  pass.class_masks = masks.data();
  pass.profile = true;
  MatrixSums s;
  ASSERT_TRUE(AddRows(x.data(), 0, 3, 3, pass, &s).ok());
  const double r = 1 / (1 + 1e-9);  // each row sums to 1: a = x / (1 + 1e-9)
  EXPECT_NEAR(s.prev, (0.25 + 0.5) * r, 1e-15);
  EXPECT_NEAR(s.self, (1 + 0.75) * r, 1e-15);
  EXPECT_NEAR(s.first, (1 + 0.25 + 0.5) * r, 1e-15);
  EXPECT_NEAR(s.class_mass[0], (1 + 0.25 + 0.5) * r, 1e-15);  // space
  EXPECT_NEAR(s.class_mass[1], 0, 1e-15);                     // newline
  EXPECT_NEAR(s.class_mass[3], 0, 1e-15);                     // '[' never attended
  EXPECT_NEAR(s.class_mass[4], (0.75 + 0.5) * r, 1e-15);      // digit
  ASSERT_EQ(s.profile.size(), 3u);
  EXPECT_NEAR(s.profile[0], (1 + 0.75) * r, 1e-15);
  EXPECT_NEAR(s.profile[1], (0.25 + 0.5) * r, 1e-15);
  EXPECT_NEAR(s.profile[2], 0.5 * r, 1e-15);
}

TEST(AddRows, NamesTheFirstBadEntry) {
  std::vector<float> x(16, 0.1f);
  x[6] = -0.0f;  // a negative zero is a zero
  RowPass pass;
  MatrixSums s;
  EXPECT_TRUE(AddRows(x.data(), 0, 4, 4, pass, &s).ok());
  for (float bad : {-0.5f, NAN, INFINITY}) {
    x[9] = bad;
    MatrixSums t;
    const absl::Status status = AddRows(x.data(), 0, 4, 4, pass, &t);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(status.message().substr(0, 16), "entry [2, 1] is ") << status;
  }
}

TEST(HeadMetricTable, NamesUnitsAndGroups) {
  std::vector<std::string> all, plain;
  for (const HeadMetric& m : HeadMetricTable()) all.push_back(m.name);
  for (const HeadMetric* m : SelectHeadMetrics(false)) plain.push_back(m->name);
  EXPECT_EQ(plain, (std::vector<std::string>{"entropy", "sparsity", "distance"}));
  EXPECT_EQ(all, (std::vector<std::string>{"entropy", "sparsity", "distance", "to_prev",
                                           "to_self", "to_first", "to_space", "to_newline",
                                           "to_lt", "to_bracket", "to_digit"}));
  EXPECT_EQ(MetricUnit(HeadMetricTable()[1], 1e-4), "fraction < 0.0001");
  EXPECT_EQ(MetricUnit(HeadMetricTable()[0], 1e-4), "nats");
  std::set<std::string> names(all.begin(), all.end());
  EXPECT_EQ(names.size(), all.size());
}

TEST(HeadMetricTable, ValuesFromHandMadeSums) {
  MatrixSums s;
  s.length = 4;
  s.entropy = 2;
  s.below = 6;
  s.weighted_distance = 3;
  s.mass = 4;
  s.prev = 1.5;
  s.self = 2;
  s.first = 1;
  s.class_mass[4] = 0.5;
  std::vector<double> v;
  for (const HeadMetric& m : HeadMetricTable()) v.push_back(m.value(s));
  EXPECT_EQ(v, (std::vector<double>{0.5, 6.0 / 16, 0.75, 0.5, 0.5, 0.25, 0, 0, 0, 0, 0.125}));
  s.length = 1;  // no previous byte: 0
  EXPECT_EQ(HeadMetricTable()[3].value(s), 0);
}

}  // namespace
}  // namespace attn::analysis
