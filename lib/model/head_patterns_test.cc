#include "lib/model/head_patterns.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace attn::model {
namespace {

// Names as the original's pattern digits.
std::vector<int> Digits(const std::vector<std::string>& names) {
  std::vector<int> out;
  for (const char c : FormatHeadPatternDigits(names)) {
    if (c != ',') out.push_back(c - '0');
  }
  return out;
}

TEST(AssignHeadPatterns, DefaultTable) {
  EXPECT_EQ(Digits(*DefaultHeadPatternNames(8, "")), (std::vector<int>{0, 3, 3, 1, 1, 1, 2, 2}));
  EXPECT_EQ(Digits(*DefaultHeadPatternNames(6, "")), (std::vector<int>{0, 3, 1, 1, 2, 2}));
  EXPECT_EQ(Digits(*DefaultHeadPatternNames(4, "")), (std::vector<int>{0, 3, 1, 2}));
  EXPECT_EQ(Digits(*DefaultHeadPatternNames(2, "")), (std::vector<int>{0, 1}));
  EXPECT_EQ(Digits(*DefaultHeadPatternNames(1, "")), (std::vector<int>{0}));
}

TEST(AssignHeadPatterns, MaskSubsetRoundRobin) {
  // The docs/design.md example (section 6): "03" with 8 heads gives {0:4, 3:4}.
  EXPECT_EQ(Digits(*DefaultHeadPatternNames(8, "03")), (std::vector<int>{0, 0, 0, 0, 3, 3, 3, 3}));
  // Order of the digits does not matter: the table's order is kept.
  EXPECT_EQ(Digits(*DefaultHeadPatternNames(8, "30")), (std::vector<int>{0, 0, 0, 0, 3, 3, 3, 3}));
  // "12": kept {1:3, 2:2}, 3 freed heads -> 1, 2, 1 -> {1:5, 2:3}.
  EXPECT_EQ(Digits(*DefaultHeadPatternNames(8, "12")), (std::vector<int>{1, 1, 1, 1, 1, 2, 2, 2}));
  // "2": kept {2:2}, all 6 freed heads go to 2.
  EXPECT_EQ(Digits(*DefaultHeadPatternNames(8, "2")), std::vector<int>(8, 2));
  // All four listed: the default.
  EXPECT_EQ(Digits(*DefaultHeadPatternNames(8, "0123")), (std::vector<int>{0, 3, 3, 1, 1, 1, 2, 2}));
  // 6 heads, "31": kept {3:1, 1:2}, freed 3 -> 3, 1, 3 -> {3:3, 1:3}.
  EXPECT_EQ(Digits(*DefaultHeadPatternNames(6, "31")), (std::vector<int>{3, 3, 3, 1, 1, 1}));
  // No match: 2 heads have patterns {0, 1}; "23" matches neither -> all pattern 0.
  EXPECT_EQ(Digits(*DefaultHeadPatternNames(2, "23")), (std::vector<int>{0, 0}));
  EXPECT_EQ(Digits(*DefaultHeadPatternNames(1, "2")), (std::vector<int>{0}));
}

TEST(AssignHeadPatterns, Errors) {
  const auto three = DefaultHeadPatternNames(3, "");
  ASSERT_FALSE(three.ok());
  EXPECT_EQ(three.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(three.status().message().find("3 heads"), std::string::npos);
  EXPECT_FALSE(DefaultHeadPatternNames(12, "").ok());
  EXPECT_FALSE(DefaultHeadPatternNames(0, "").ok());
  EXPECT_FALSE(DefaultHeadPatternNames(8, "04").ok());
  EXPECT_FALSE(DefaultHeadPatternNames(8, "0,3").ok());
}

TEST(ParseHeadPatterns, ExplicitAssignment) {
  EXPECT_EQ(Digits(*ParseHeadPatternDigits("0,3,3,1,1,1,2,2", 8)),
            (std::vector<int>{0, 3, 3, 1, 1, 1, 2, 2}));
  EXPECT_EQ(Digits(*ParseHeadPatternDigits("2, 1,0", 3)), (std::vector<int>{2, 1, 0}));
  EXPECT_EQ(FormatHeadPatternDigits(*ParseHeadPatternDigits("0,1,2,3,3", 5)), "0,1,2,3,3");
  EXPECT_FALSE(ParseHeadPatternDigits("0,1", 3).ok());
  EXPECT_FALSE(ParseHeadPatternDigits("0,4,1", 3).ok());
  EXPECT_FALSE(ParseHeadPatternDigits("012", 3).ok());
  EXPECT_FALSE(ParseHeadPatternDigits("", 1).ok());
  EXPECT_EQ(ParseHeadPatternDigits("0,1", 3).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(HeadPatterns, MakeResolvesNamesLayerByLayer) {
  const std::vector<NamedPattern> defined = {{"wide", {64, 0, {}}}, {"cols", {std::nullopt, 4, {}}}};
  absl::StatusOr<HeadPatterns> hp = HeadPatterns::Make(defined, {{"wide", "local8"}, {"cols", "wide"}});
  ASSERT_TRUE(hp.ok()) << hp.status();
  EXPECT_EQ(hp->layers(), 2);
  EXPECT_EQ(hp->heads(), 2);
  EXPECT_EQ(hp->At(0, 0), (AttentionPattern{64, 0, {}}));
  EXPECT_EQ(hp->NameAt(0, 1), "local8");
  EXPECT_EQ(hp->At(1, 0), (AttentionPattern{std::nullopt, 4, {}}));
  EXPECT_FALSE(hp->SameEveryLayer());
  // Only the patterns in use, in order of first use.
  ASSERT_EQ(hp->patterns().size(), 3u);
  EXPECT_EQ(hp->patterns()[0].name, "wide");
  EXPECT_EQ(hp->patterns()[1].name, "local8");
  EXPECT_EQ(hp->patterns()[2].name, "cols");
  EXPECT_EQ(hp->LayerNames(1), (std::vector<std::string>{"cols", "wide"}));
}

TEST(HeadPatterns, MakeErrorsNameTheCulprit) {
  auto message = [](const absl::StatusOr<HeadPatterns>& r) { return std::string(r.status().message()); };
  const auto unknown = HeadPatterns::Make({}, {{"local8", "nope"}});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(message(unknown).find("layer 0 head 1: unknown pattern \"nope\""), std::string::npos) << message(unknown);
  EXPECT_NE(message(unknown).find("local16"), std::string::npos);  // the choices are listed
  EXPECT_NE(message(HeadPatterns::Make({}, {{"local8"}, {"local8", "local8"}})).find("layer 1 has 2 heads"),
            std::string::npos);
  EXPECT_NE(message(HeadPatterns::Make({{"x", {-3, 0, {}}}}, {{"x"}})).find("pattern \"x\": window = -3"),
            std::string::npos);
  EXPECT_NE(message(HeadPatterns::Make({{"global", {8, 0, {}}}}, {{"global"}})).find("redefines the built-in"),
            std::string::npos);
  EXPECT_TRUE(HeadPatterns::Make({{"local8", {8, 0, {}}}}, {{"local8"}}).ok());  // the same definition is fine
  EXPECT_FALSE(HeadPatterns::Make({{"a", {1, 0, {}}}, {"a", {2, 0, {}}}}, {{"a"}}).ok());
  EXPECT_FALSE(HeadPatterns::Make({}, {}).ok());
  EXPECT_FALSE(HeadPatterns::SameEveryLayer({}, {"local8"}, 0).ok());
  EXPECT_NE(message(HeadPatterns::Make({{"late", {std::nullopt, 0, {0.5}}}}, {{"local8", "late"}}))
                .find("layer 0 head 1: pattern \"late\" (1 anchor) leaves the first query no key"),
            std::string::npos);
  // A pattern defined but not used is not refused.
  EXPECT_TRUE(HeadPatterns::Make({{"late", {std::nullopt, 0, {0.5}}}}, {{"local8"}}).ok());
}

TEST(HeadPatterns, PairFractionIsAllowedOverCausalPairs) {
  // L = 4 has 10 causal pairs. local8 covers all 10; window 0 covers the diagonal, 4.
  absl::StatusOr<HeadPatterns> hp = HeadPatterns::SameEveryLayer({{"diag", {0, 0, {}}}}, {"local8", "diag"}, 3);
  ASSERT_TRUE(hp.ok());
  EXPECT_TRUE(hp->SameEveryLayer());
  EXPECT_DOUBLE_EQ(hp->PairFraction(4), (10.0 + 4.0) / 20.0);
  EXPECT_DOUBLE_EQ(HeadPatterns::SameEveryLayer({}, {"dense"}, 2)->PairFraction(100), 1.0);
}

}  // namespace
}  // namespace attn::model
