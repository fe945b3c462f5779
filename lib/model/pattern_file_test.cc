#include "lib/model/pattern_file.h"

#include <string>

#include "gtest/gtest.h"

namespace attn::model {
namespace {

std::string ErrorOf(const std::string& text, int64_t layers = 2, int64_t heads = 2) {
  absl::StatusOr<HeadPatterns> r = ParsePatternFile(text, "p.json", layers, heads);
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(r.status().message());
}

TEST(PatternFile, OneListForAllLayers) {
  absl::StatusOr<HeadPatterns> hp = ParsePatternFile(
      R"({"patterns": {"near": {"window": 3}, "far": {"stride": 5, "anchors": [0, 0.5, 1]}, "all": {"window": -1}},
          "heads": ["near", "far", "all", "global"]})",
      "p.json", 3, 4);
  ASSERT_TRUE(hp.ok()) << hp.status();
  EXPECT_EQ(hp->layers(), 3);
  EXPECT_TRUE(hp->SameEveryLayer());
  EXPECT_EQ(hp->At(2, 0), (AttentionPattern{3, 0, {}}));
  EXPECT_EQ(hp->At(1, 1), (AttentionPattern{std::nullopt, 5, {0, 0.5, 1}}));
  EXPECT_TRUE(hp->At(0, 2).IsDense());
  EXPECT_EQ(hp->At(0, 3), *BuiltinPattern("global"));
}

TEST(PatternFile, OneListPerLayer) {
  absl::StatusOr<HeadPatterns> hp =
      ParsePatternFile(R"({"heads": [["local8", "dense"], ["strided", "local16"]]})", "p.json", 2, 2);
  ASSERT_TRUE(hp.ok()) << hp.status();
  EXPECT_EQ(hp->NameAt(0, 1), "dense");
  EXPECT_EQ(hp->NameAt(1, 0), "strided");
  EXPECT_FALSE(hp->SameEveryLayer());
}

TEST(PatternFile, WrittenTextReadsBackTheSame) {
  const HeadPatterns original = *HeadPatterns::Make(
      {{"c0", {5, 0, {}}}, {"c1", {std::nullopt, 16, {0.0, 0.382, 1.0}}}}, {{"c0", "c1", "dense"}, {"c1", "c1", "c0"}});
  nlohmann::json extra = {{"derived", {{"coverage", 0.9}}}, {"heads", "ignored"}};
  const std::string text = PatternFileText(original, extra);
  absl::StatusOr<HeadPatterns> back = ParsePatternFile(text, "p.json", 2, 3);
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << text;
  EXPECT_TRUE(*back == original);
  const nlohmann::json parsed = nlohmann::json::parse(text);
  EXPECT_EQ(parsed["derived"]["coverage"], 0.9);
  EXPECT_TRUE(parsed["heads"].is_array() && parsed["heads"][0].is_array());
  // Built-ins in use are written out, so the file stands alone.
  EXPECT_EQ(parsed["patterns"]["dense"]["window"], -1);
  // The same in every layer: one list.
  const std::string same = PatternFileText(*HeadPatterns::SameEveryLayer({}, {"global", "local8"}, 4), {}, -1);
  EXPECT_EQ(nlohmann::json::parse(same)["heads"], nlohmann::json({"global", "local8"}));
  EXPECT_EQ(same.find('\n'), std::string::npos);  // compact
  EXPECT_TRUE(*ParsePatternFile(same, "m", 4, 2) == *HeadPatterns::SameEveryLayer({}, {"global", "local8"}, 4));
}

TEST(PatternFile, BadFilesAreOneClearError) {
  EXPECT_EQ(ErrorOf("{not json"), "p.json: not JSON");
  EXPECT_NE(ErrorOf("[1, 2]").find("must be a JSON object"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"patterns": {}})").find("p.json: heads is missing"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"heads": ["local8", "nope"]})").find("p.json: layer 0 head 1: unknown pattern \"nope\""),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"patterns": {"w": {"window": -2}}, "heads": ["w", "w"]})")
                .find("p.json: patterns.w.window = -2 must be >= 0, or -1 for unbounded"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"patterns": {"s": {"stride": -4}}, "heads": ["s", "s"]})").find("patterns.s.stride = -4"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"patterns": {"a": {"anchors": [0.5, 1.2]}}, "heads": ["a", "a"]})")
                .find("patterns.a.anchors[1] = 1.2 must be a fraction in [0, 1]"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"patterns": {"a": {"anchors": [-0.1]}}, "heads": ["a", "a"]})").find("anchors[0] = -0.1"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"patterns": {"a": {"window": 2.5}}, "heads": ["a", "a"]})").find("window must be an integer"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"patterns": {"a": {"windw": 2}}, "heads": ["a", "a"]})").find("patterns.a.windw is not a pattern field"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"heads": ["local8", "local8", "local8"]})").find("heads has 3 names for 2 heads"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"heads": [["local8", "local8"]]})").find("heads has 1 per-layer lists for 2 layers"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"heads": [["local8", "local8"], ["local8"]]})").find("heads[1] has 1 names for 2 heads"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"heads": [["local8", "local8"], "local8"]})").find("heads[1] must be a list"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"heads": ["local8", 3]})").find("heads[1] must be a pattern name"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"heads": []})").find("heads must be a list"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"patterns": {"a": {"anchors": [1]}}, "heads": ["a", "a"]})")
                .find("p.json: layer 0 head 0: pattern \"a\" (1 anchor) leaves the first query no key"),
            std::string::npos);
}

TEST(PatternFile, MissingFileNamesIt) {
  absl::StatusOr<HeadPatterns> r = ReadPatternFile("/nonexistent/p.json", 1, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent/p.json"), std::string::npos);
}

}  // namespace
}  // namespace attn::model
