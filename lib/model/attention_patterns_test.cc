#include "lib/model/attention_patterns.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <random>

#include "gtest/gtest.h"

namespace attn::model {
namespace {

// The original's four patterns under their built-in names.
enum class P { kLocal, kStrided, kGlobal, kWideLocal };
constexpr P kAllPatterns[] = {P::kLocal, P::kStrided, P::kGlobal, P::kWideLocal};

AttentionPattern Builtin(P p) {
  static const char* const kNames[] = {"local8", "strided", "global", "local16"};
  return *BuiltinPattern(kNames[static_cast<int>(p)]);
}
bool PatternAllows(P p, int64_t i, int64_t j, int64_t L) { return PatternAtLength(Builtin(p), L).Allows(i, j); }
std::vector<int64_t> AllowedKeys(P p, int64_t i, int64_t L) { return PatternAtLength(Builtin(p), L).Keys(i); }
int64_t AllowedPairCount(P p, int64_t L) { return PatternAtLength(Builtin(p), L).PairCount(); }
std::vector<int64_t> GlobalAnchors(int64_t L) { return PatternAtLength(Builtin(P::kGlobal), L).anchor_columns(); }

// An independent transcription of docs/design.md section 6.1: paint each rule onto an L x L grid,
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
        {
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

// The rule of a custom pattern, written out independently: band, stride columns, anchor
// columns (floor in double, capped at L - 1), cut by causality.
bool BruteAllows(const AttentionPattern& p, int64_t i, int64_t j, int64_t L) {
  if (j > i || i >= L || j < 0) return false;
  if (p.window.has_value() && (*p.window == -1 || i - j <= *p.window)) return true;
  if (p.stride > 0 && j % p.stride == 0) return true;
  for (double r : p.anchors) {
    int64_t a = static_cast<int64_t>(std::floor(r * static_cast<double>(L - 1)));
    if (a > L - 1) a = L - 1;
    if (a == j) return true;
  }
  return false;
}

TEST(CustomPatterns, SupportIsExactlyTheRule) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> window(-2, 40), stride(0, 12), count(0, 4);
  std::uniform_real_distribution<double> fraction(0.0, 1.0);
  for (int trial = 0; trial < 200; ++trial) {
    AttentionPattern p;
    const int w = window(rng);
    if (w >= -1) p.window = w;  // -2: no band
    p.stride = stride(rng);
    for (int a = count(rng); a > 0; --a) p.anchors.push_back(trial % 5 == 0 ? 1.0 : fraction(rng));
    ASSERT_TRUE(p.Validate().ok());
    for (const int64_t L : {1, 2, 9, 33, 70}) {
      const PatternAtLength at(p, L);
      int64_t pairs = 0;
      for (int64_t i = 0; i < L; ++i) {
        std::vector<int64_t> keys;
        for (int64_t j = 0; j < L; ++j) {
          ASSERT_EQ(at.Allows(i, j), BruteAllows(p, i, j, L))
              << DescribePattern(p) << " L " << L << " i " << i << " j " << j;
          if (BruteAllows(p, i, j, L)) keys.push_back(j);
        }
        ASSERT_EQ(at.Keys(i), keys) << DescribePattern(p) << " L " << L << " row " << i;
        pairs += keys.size();
      }
      ASSERT_EQ(at.PairCount(), pairs) << DescribePattern(p) << " L " << L;
    }
  }
}

TEST(CustomPatterns, DenseIsFullCausalAttention) {
  const AttentionPattern dense = *BuiltinPattern("dense");
  EXPECT_TRUE(dense.IsDense());
  const PatternAtLength at(dense, 50);
  EXPECT_EQ(at.PairCount(), CausalPairCount(50));
  EXPECT_EQ(CausalPairCount(50), 50 * 51 / 2);
  for (int64_t i = 0; i < 50; ++i) EXPECT_EQ(at.Keys(i).size(), static_cast<size_t>(i + 1));
  // An empty pattern allows nothing, not even the diagonal.
  EXPECT_EQ(PatternAtLength(AttentionPattern{}, 10).PairCount(), 0);
  // Window 0 is the diagonal alone.
  EXPECT_EQ(PatternAtLength(AttentionPattern{0, 0, {}}, 10).PairCount(), 10);
}

TEST(CustomPatterns, BuiltinsAreTheOriginalFour) {
  EXPECT_EQ(BuiltinPatternNames(), (std::vector<std::string>{"local8", "local16", "strided", "global", "dense"}));
  EXPECT_EQ(*BuiltinPattern("local8"), (AttentionPattern{8, 0, {}}));
  EXPECT_EQ(*BuiltinPattern("local16"), (AttentionPattern{16, 0, {}}));
  EXPECT_EQ(*BuiltinPattern("strided"), (AttentionPattern{32, 8, {}}));
  EXPECT_EQ(*BuiltinPattern("global"),
            (AttentionPattern{std::nullopt, 16, {0, .1, .2, .3, .382, .5, .618, .7, .8, .9, 1}}));
  EXPECT_FALSE(BuiltinPattern("local4").has_value());
  EXPECT_EQ(*PatternNameForDigit('0'), "local8");
  EXPECT_EQ(*PatternNameForDigit('1'), "strided");
  EXPECT_EQ(*PatternNameForDigit('2'), "global");
  EXPECT_EQ(*PatternNameForDigit('3'), "local16");
  EXPECT_FALSE(PatternNameForDigit('4').has_value());
  EXPECT_EQ(DescribePattern(*BuiltinPattern("strided")), "window 32 + stride 8");
  EXPECT_EQ(DescribePattern(*BuiltinPattern("global")), "stride 16 + 11 anchors");
  EXPECT_EQ(DescribePattern(*BuiltinPattern("dense")), "dense");
}

TEST(CustomPatterns, ValidateNamesTheField) {
  EXPECT_NE(AttentionPattern({-2, 0, {}}).Validate().message().find("window = -2"), std::string::npos);
  EXPECT_NE(AttentionPattern({1, -1, {}}).Validate().message().find("stride = -1"), std::string::npos);
  EXPECT_NE(AttentionPattern({1, 0, {0.5, 1.5}}).Validate().message().find("anchors[1] = 1.5"), std::string::npos);
  EXPECT_FALSE(AttentionPattern({1, 0, {std::nan("")}}).Validate().ok());
  EXPECT_TRUE(AttentionPattern({-1, 0, {0, 1}}).Validate().ok());
}

TEST(CustomPatterns, EveryQueryHasAKeyIsTheFirstQuerysRow) {
  for (const AttentionPattern& p :
       std::vector<AttentionPattern>{{std::nullopt, 0, {0.5, 1}}, {std::nullopt, 0, {}}, {std::nullopt, 0, {1, 0}},
                                     {std::nullopt, 3, {}}, {0, 0, {}}, {-1, 0, {}}, {std::nullopt, 0, {0.01}}}) {
    // Brute force at several lengths: does every query have a key?
    bool all = true;
    for (const int64_t L : {2, 9, 1000}) {
      const PatternAtLength at(p, L);
      for (int64_t i = 0; i < L; ++i) all = all && !at.Keys(i).empty();
    }
    EXPECT_EQ(p.EveryQueryHasAKey(), all) << DescribePattern(p);
  }
}

}  // namespace
}  // namespace attn::model
