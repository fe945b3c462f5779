#include "lib/model/attention_patterns.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace attn::model {
namespace {

using P = AttentionPattern;
constexpr P kAllPatterns[] = {P::kLocal, P::kStrided, P::kGlobal, P::kWideLocal};

// An independent transcription of DESIGN.md section 4: paint each rule onto an L x L grid,
// then cut it with causality.
std::vector<std::vector<bool>> PaintedMask(P p, int64_t L) {
  std::vector<std::vector<bool>> m(L, std::vector<bool>(L, false));
  auto paint_band = [&](int64_t w) {
    for (int64_t i = 0; i < L; ++i)
      for (int64_t j = 0; j < L; ++j) m[i][j] = m[i][j] || std::abs(i - j) <= w;
  };
  auto paint_columns = [&](int64_t j) {
    for (int64_t i = 0; i < L; ++i) m[i][j] = true;
  };
  switch (p) {
    case P::kLocal:
      paint_band(8);
      break;
    case P::kWideLocal:
      paint_band(16);
      break;
    case P::kStrided:
      paint_band(32);
      if (L >= 8)
        for (int64_t j = 0; j < L; j += 8) paint_columns(j);
      break;
    case P::kGlobal: {
      if (L >= 16)
        for (int64_t j = 0; j < L; j += 16) paint_columns(j);
      for (double r : {0.0, 0.1, 0.2, 0.3, 0.382, 0.5, 0.618, 0.7, 0.8, 0.9, 1.0}) {
        int64_t a = static_cast<int64_t>(std::floor(r * (L - 1)));
        if (a > L - 1) a = L - 1;
        paint_columns(a);
      }
      break;
    }
  }
  for (int64_t i = 0; i < L; ++i)
    for (int64_t j = i + 1; j < L; ++j) m[i][j] = false;
  return m;
}

class PatternBruteForce : public ::testing::TestWithParam<int64_t> {};

TEST_P(PatternBruteForce, EveryPairMatchesTheRules) {
  const int64_t L = GetParam();
  for (P p : kAllPatterns) {
    const auto expected = PaintedMask(p, L);
    int64_t pairs = 0;
    for (int64_t i = 0; i < L; ++i) {
      std::vector<int64_t> keys;
      for (int64_t j = 0; j < L; ++j) {
        if (expected[i][j]) keys.push_back(j);
        // PatternAllows rebuilds the anchors for kGlobal; check every pair only where cheap.
        if (L <= 100 || p != P::kGlobal || i % 97 == 0) {
          ASSERT_EQ(PatternAllows(p, i, j, L), expected[i][j])
              << "pattern " << static_cast<int>(p) << " L " << L << " i " << i << " j " << j;
        }
      }
      ASSERT_EQ(AllowedKeys(p, i, L), keys) << "pattern " << static_cast<int>(p) << " L " << L
                                            << " row " << i;
      pairs += keys.size();
    }
    EXPECT_EQ(AllowedPairCount(p, L), pairs);
  }
}

INSTANTIATE_TEST_SUITE_P(Lengths, PatternBruteForce,
                         ::testing::Values(1, 2, 5, 7, 8, 9, 15, 16, 17, 40, 100, 1000, 1024));

TEST(PatternAllows, OutOfRangeAndFutureAreNeverAllowed) {
  for (P p : kAllPatterns) {
    EXPECT_FALSE(PatternAllows(p, 5, 6, 100));
    EXPECT_FALSE(PatternAllows(p, -1, 0, 100));
    EXPECT_FALSE(PatternAllows(p, 100, 0, 100));
    EXPECT_TRUE(PatternAllows(p, 0, 0, 1));  // every pattern lets position 0 see itself
  }
}

TEST(GlobalAnchors, SpotFacts) {
  const std::vector<int64_t> a1024 = GlobalAnchors(1024);
  // floor(r * 1023): 0, 102.3, 204.6, 306.9, 390.786, 511.5, 632.214, 716.1, 818.4, 920.7, 1023
  EXPECT_EQ(a1024, (std::vector<int64_t>{0, 102, 204, 306, 390, 511, 632, 716, 818, 920, 1023}));
  EXPECT_EQ(GlobalAnchors(1), (std::vector<int64_t>{0}));
  // L=11: floor(r * 10): 0,1,2,3,3.82,5,6.18,7,8,9,10 (0.7*10 is 7.000000000000001 in double)
  EXPECT_EQ(GlobalAnchors(11), (std::vector<int64_t>{0, 1, 2, 3, 5, 6, 7, 8, 9, 10}));
  // L=5: floor(r * 4): 0,0.4,0.8,1.2,1.528,2,2.472,2.8,3.2,3.6,4
  EXPECT_EQ(GlobalAnchors(5), (std::vector<int64_t>{0, 1, 2, 3, 4}));
}

TEST(PatternAllows, HandCheckedSmallCases) {
  // Local: row 20 sees 12..20.
  EXPECT_EQ(AllowedKeys(P::kLocal, 20, 64), (std::vector<int64_t>{12, 13, 14, 15, 16, 17, 18, 19, 20}));
  // Wide local: row 3 sees 0..3; row 40 sees 24..40 (17 keys).
  EXPECT_EQ(AllowedKeys(P::kWideLocal, 3, 64), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(AllowedKeys(P::kWideLocal, 40, 64).size(), 17u);
  // Strided, L=100, row 50: columns 0,8,16 plus the band 18..50.
  std::vector<int64_t> strided = {0, 8, 16};
  for (int64_t j = 18; j <= 50; ++j) strided.push_back(j);
  EXPECT_EQ(AllowedKeys(P::kStrided, 50, 100), strided);
  // Strided with L < 8: only the band (the stride part is off), so row 6 of L=7 sees 0..6.
  EXPECT_EQ(AllowedKeys(P::kStrided, 6, 7).size(), 7u);
  // Global, L=1024, row 400: multiples of 16 up to 400 (26 of them) plus anchors 102, 204,
  // 306, 390 (0 is also a multiple of 16); the diagonal 400 is a multiple of 16.
  std::vector<int64_t> global;
  for (int64_t j = 0; j <= 400; j += 16) global.push_back(j);
  for (int64_t a : {102, 204, 306, 390}) global.push_back(a);
  std::sort(global.begin(), global.end());
  EXPECT_EQ(AllowedKeys(P::kGlobal, 400, 1024), global);
  // Global: the diagonal is allowed only at anchors or multiples of 16.
  EXPECT_FALSE(PatternAllows(P::kGlobal, 401, 401, 1024));
  EXPECT_TRUE(PatternAllows(P::kGlobal, 390, 390, 1024));
  EXPECT_TRUE(PatternAllows(P::kGlobal, 632, 632, 1024));
  EXPECT_FALSE(PatternAllows(P::kGlobal, 631, 631, 1024));
  // Global, L=10 (< 16, no stride): anchors floor(r*9) = 0,0,1,2,3,4,5,6,7,8,9 -> all columns.
  EXPECT_EQ(AllowedKeys(P::kGlobal, 9, 10).size(), 10u);
  // Global, L=20 (stride 16): anchors floor(r*19) = 0,1,3,5,7,9,11,13,15,17,19; row 19.
  EXPECT_EQ(AllowedKeys(P::kGlobal, 19, 20),
            (std::vector<int64_t>{0, 1, 3, 5, 7, 9, 11, 13, 15, 16, 17, 19}));
}

TEST(AllowedPairCount, HandCounted) {
  // Local, L=10: rows 0..8 see i+1 keys (45), row 9 sees 9 keys.
  EXPECT_EQ(AllowedPairCount(P::kLocal, 10), 45 + 9);
  EXPECT_EQ(AllowedPairCount(P::kGlobal, 1), 1);
}

std::vector<int> Digits(const std::vector<AttentionPattern>& v) {
  std::vector<int> out;
  for (auto p : v) out.push_back(static_cast<int>(p));
  return out;
}

TEST(AssignHeadPatterns, DefaultTable) {
  EXPECT_EQ(Digits(*AssignHeadPatterns(8, "")), (std::vector<int>{0, 3, 3, 1, 1, 1, 2, 2}));
  EXPECT_EQ(Digits(*AssignHeadPatterns(6, "")), (std::vector<int>{0, 3, 1, 1, 2, 2}));
  EXPECT_EQ(Digits(*AssignHeadPatterns(4, "")), (std::vector<int>{0, 3, 1, 2}));
  EXPECT_EQ(Digits(*AssignHeadPatterns(2, "")), (std::vector<int>{0, 1}));
  EXPECT_EQ(Digits(*AssignHeadPatterns(1, "")), (std::vector<int>{0}));
}

TEST(AssignHeadPatterns, MaskSubsetRoundRobin) {
  // The DESIGN.md example: "03" with 8 heads gives {0:4, 3:4}.
  EXPECT_EQ(Digits(*AssignHeadPatterns(8, "03")), (std::vector<int>{0, 0, 0, 0, 3, 3, 3, 3}));
  // Order of the digits does not matter: the table's order is kept.
  EXPECT_EQ(Digits(*AssignHeadPatterns(8, "30")), (std::vector<int>{0, 0, 0, 0, 3, 3, 3, 3}));
  // "12": kept {1:3, 2:2}, 3 freed heads -> 1, 2, 1 -> {1:5, 2:3}.
  EXPECT_EQ(Digits(*AssignHeadPatterns(8, "12")), (std::vector<int>{1, 1, 1, 1, 1, 2, 2, 2}));
  // "2": kept {2:2}, all 6 freed heads go to 2.
  EXPECT_EQ(Digits(*AssignHeadPatterns(8, "2")), std::vector<int>(8, 2));
  // All four listed: the default.
  EXPECT_EQ(Digits(*AssignHeadPatterns(8, "0123")), (std::vector<int>{0, 3, 3, 1, 1, 1, 2, 2}));
  // 6 heads, "31": kept {3:1, 1:2}, freed 3 -> 3, 1, 3 -> {3:3, 1:3}.
  EXPECT_EQ(Digits(*AssignHeadPatterns(6, "31")), (std::vector<int>{3, 3, 3, 1, 1, 1}));
  // No match: 2 heads have patterns {0, 1}; "23" matches neither -> all pattern 0.
  EXPECT_EQ(Digits(*AssignHeadPatterns(2, "23")), (std::vector<int>{0, 0}));
  EXPECT_EQ(Digits(*AssignHeadPatterns(1, "2")), (std::vector<int>{0}));
}

TEST(AssignHeadPatterns, Errors) {
  const auto three = AssignHeadPatterns(3, "");
  ASSERT_FALSE(three.ok());
  EXPECT_EQ(three.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(three.status().message().find("3 heads"), std::string::npos);
  EXPECT_FALSE(AssignHeadPatterns(12, "").ok());
  EXPECT_FALSE(AssignHeadPatterns(0, "").ok());
  EXPECT_FALSE(AssignHeadPatterns(8, "04").ok());
  EXPECT_FALSE(AssignHeadPatterns(8, "0,3").ok());
}

TEST(ParseHeadPatterns, ExplicitAssignment) {
  EXPECT_EQ(Digits(*ParseHeadPatterns("0,3,3,1,1,1,2,2", 8)),
            (std::vector<int>{0, 3, 3, 1, 1, 1, 2, 2}));
  EXPECT_EQ(Digits(*ParseHeadPatterns("2, 1,0", 3)), (std::vector<int>{2, 1, 0}));
  EXPECT_EQ(FormatHeadPatterns(*ParseHeadPatterns("0,1,2,3,3", 5)), "0,1,2,3,3");
  EXPECT_FALSE(ParseHeadPatterns("0,1", 3).ok());
  EXPECT_FALSE(ParseHeadPatterns("0,4,1", 3).ok());
  EXPECT_FALSE(ParseHeadPatterns("012", 3).ok());
  EXPECT_FALSE(ParseHeadPatterns("", 1).ok());
  EXPECT_EQ(ParseHeadPatterns("0,1", 3).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attn::model
