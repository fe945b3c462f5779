#include "lib/io/csv.h"

#include <cstdlib>

#include "gtest/gtest.h"

namespace attn::io {
namespace {

TEST(ParseTable, ReadsHeaderRowsAndNumericColumnsByName) {
  absl::StatusOr<Table> t = ParseTable("layer,head,entropy\n0,1,0.5\n2,3,1e-3\n", "m.csv");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->header, (std::vector<std::string>{"layer", "head", "entropy"}));
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(*t->ColumnIndex("head"), 1);
  EXPECT_EQ(*t->NumericColumn("entropy"), (std::vector<double>{0.5, 1e-3}));
  EXPECT_EQ(*t->NumericColumn("layer"), (std::vector<double>{0, 2}));
}

TEST(ParseTable, HandlesQuotesCrlfBlankLinesAndAMissingFinalNewline) {
  absl::StatusOr<Table> t = ParseTable("a,b\r\n\"x,\"\"y\"\"\",2\r\n\n3,\"multi\nline\"", "q");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[0][0], "x,\"y\"");
  EXPECT_EQ(t->rows[1][1], "multi\nline");
  EXPECT_EQ(FormatTable(*t), "a,b\n\"x,\"\"y\"\"\",2\n3,\"multi\nline\"\n");
}

TEST(ParseTable, AQuotedEmptyFieldIsARowNotABlankLine) {
  absl::StatusOr<Table> t = ParseTable("name\n\"\"\n\nx\n\"\"", "q");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->rows, (std::vector<std::vector<std::string>>{{""}, {"x"}, {""}}));
  EXPECT_EQ(FormatTable(*t), "name\n\"\"\nx\n\"\"\n");
  EXPECT_EQ(ParseTable(FormatTable(*t), "again")->rows, t->rows);
}

TEST(ParseTable, ErrorsCountLinesOfMultiLineFieldsAndBlankLines) {
  EXPECT_EQ(ParseTable("a,b\n\"x\ny\",1\n\n3\n", "in.csv").status().message(),
            "in.csv: line 5 has 1 fields; the header has 2");
}

TEST(ParseTable, ReadsTabSeparatedValues) {
  absl::StatusOr<Table> t = ParseTable("k\tsilhouette\n2\t0.25\n", "s.tsv", '\t');
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t->NumericColumn("silhouette"), (std::vector<double>{0.25}));
  EXPECT_EQ(FormatTable(*t, '\t'), "k\tsilhouette\n2\t0.25\n");
}

TEST(ParseTable, ErrorsNameTheSourceLineAndColumn) {
  EXPECT_EQ(ParseTable("", "in.csv").status().message(),
            "in.csv: empty input; expected a header row");
  EXPECT_EQ(ParseTable("a,b\n1,2\n3\n", "in.csv").status().message(),
            "in.csv: line 3 has 1 fields; the header has 2");
  EXPECT_EQ(ParseTable("a\n\"open\n", "in.csv").status().message(),
            "in.csv: line 2: unterminated quoted field");
  absl::StatusOr<Table> t = ParseTable("a,b\n1,2\n3,x\n4,\n5,inf\n", "in.csv");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->NumericColumn("b").status().message(),
            "in.csv: line 3, column 'b': 'x' is not a finite number");
  EXPECT_EQ(t->NumericColumn("c").status().message(),
            "in.csv: no column 'c'; the columns are: a,b");
  EXPECT_EQ(t->NumericColumn("c").status().code(), absl::StatusCode::kInvalidArgument);
  t->rows.erase(t->rows.begin() + 1);
  EXPECT_EQ(t->NumericColumn("b").status().message(),
            "in.csv: line 3, column 'b': '' is not a finite number");
}

TEST(ParseTable, ErrorsQuoteTheInputOnOneLine) {
  absl::StatusOr<Table> t = ParseTable("\"a\nb\",c\n\"1\n2\",3\n", "in.csv");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->NumericColumn("x").status().message(), "in.csv: no column 'x'; the columns are: a\\nb,c");
  EXPECT_EQ(t->NumericColumn("a\nb").status().message(),
            "in.csv: line 2, column 'a\\nb': '1\\n2' is not a finite number");
  t->header.assign(100, "column");
  const std::string columns = std::string(t->NumericColumn("x").status().message());
  EXPECT_EQ(columns.size(), std::string("in.csv: no column 'x'; the columns are: ").size() + 200 + 3) << columns;
}

TEST(Table, AddColumnAppendsOneValuePerRow) {
  absl::StatusOr<Table> t = ParseTable("a\n1\n2\n", "t");
  ASSERT_TRUE(t.ok());
  t->AddColumn("cluster", {"0", "1"});
  EXPECT_EQ(FormatTable(*t), "a,cluster\n1,0\n2,1\n");
}

TEST(FormatDouble, IsTheShortestTextThatReadsBackExactly) {
  EXPECT_EQ(FormatDouble(0.1), "0.1");
  EXPECT_EQ(FormatDouble(3.0), "3");
  EXPECT_EQ(FormatDouble(1e-9), "1e-09");
  EXPECT_EQ(FormatDouble(0.48248804228378833), "0.48248804228378833");
  for (double v : {1.0 / 3, 2.0 / 7, 1e300 / 7, 0.967071533203125, -5e-324}) {
    EXPECT_EQ(std::strtod(FormatDouble(v).c_str(), nullptr), v) << FormatDouble(v);
  }
}

}  // namespace
}  // namespace attn::io
