#include "lib/analysis/features.h"

#include "gtest/gtest.h"

namespace attn::analysis {
namespace {

io::Table Parse(const std::string& text) {
  absl::StatusOr<io::Table> t = io::ParseTable(text, "in.csv");
  EXPECT_TRUE(t.ok()) << t.status();
  return *t;
}

TEST(ParseFeatureList, SplitsAndRejectsEmptyOrRepeatedNames) {
  EXPECT_EQ(*ParseFeatureList("entropy,sparsity,distance"),
            (std::vector<std::string>{"entropy", "sparsity", "distance"}));
  EXPECT_EQ(ParseFeatureList("a,,b").status().message(), "`features`=a,,b has an empty name");
  EXPECT_EQ(ParseFeatureList("a,b,a").status().message(), "`features` names 'a' twice");
}

TEST(ExpandFeatureNames, ReplacesPrefixPatternsByTheirColumnsInTableOrder) {
  const io::Table t = Parse("layer,head,d0,d1,dx,e\n0,0,1,2,3,4\n");
  EXPECT_EQ(*ExpandFeatureNames(t, {"e", "d*"}), (std::vector<std::string>{"e", "d0", "d1", "dx"}));
  EXPECT_EQ(ExpandFeatureNames(t, {"*"})->size(), 6u);
  EXPECT_EQ(ExpandFeatureNames(t, {"p*"}).status().message(),
            "in.csv: no column matches 'p*'; the columns are: layer,head,d0,d1,dx,e");
  EXPECT_EQ(ExpandFeatureNames(t, {"p*"}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Standardizer, UsesThePopulationStandardDeviation) {
  // Column a: 1, 2, 3, 6 -> mean 3, population variance (4 + 1 + 0 + 9) / 4 = 3.5.
  const io::Table t = Parse("a,b\n1,10\n2,10\n3,10\n6,10\n");
  Standardizer s;
  std::vector<std::string> warnings;
  absl::StatusOr<Points> z = LoadFeatures(t, {"a", "b"}, true, &s, &warnings);
  ASSERT_TRUE(z.ok()) << z.status();
  EXPECT_DOUBLE_EQ(s.mean(0), 3);
  EXPECT_DOUBLE_EQ(s.scale(0), std::sqrt(3.5));
  EXPECT_DOUBLE_EQ((*z)(3, 0), 3 / std::sqrt(3.5));
  // The constant column is centred, not scaled, and the user is told.
  EXPECT_TRUE(s.constant[1]);
  EXPECT_DOUBLE_EQ(s.scale(1), 1);
  EXPECT_DOUBLE_EQ((*z)(2, 1), 0);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "in.csv: feature 'b' is constant; it is centred but not scaled (all zeros), as "
            "scikit-learn's StandardScaler does, and adds nothing to the clustering");
  const Points back = s.InverseTransform(*z);
  EXPECT_DOUBLE_EQ(back(3, 0), 6);
  EXPECT_DOUBLE_EQ(back(0, 1), 10);
}

TEST(LoadFeatures, KeepsRawUnitsWithoutStandardizing) {
  Standardizer s;
  std::vector<std::string> warnings;
  absl::StatusOr<Points> x = LoadFeatures(Parse("a,b\n1,10\n2,10\n"), {"b"}, false, &s, &warnings);
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(x->cols(), 1);
  EXPECT_EQ((*x)(1, 0), 10);
  EXPECT_TRUE(warnings.empty());
}

TEST(FeatureMatrix, RejectsMissingColumnsNonNumbersAndEmptyTables) {
  EXPECT_EQ(FeatureMatrix(Parse("a,b\n1,2\n"), {"a", "c"}).status().message(),
            "in.csv: no column 'c'; the columns are: a,b");
  EXPECT_EQ(FeatureMatrix(Parse("a\n1\nx\n"), {"a"}).status().message(),
            "in.csv: line 3, column 'a': 'x' is not a finite number");
  EXPECT_EQ(FeatureMatrix(Parse("a\n"), {"a"}).status().message(), "in.csv: no data rows");
}

}  // namespace
}  // namespace attn::analysis
