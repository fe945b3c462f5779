#include "lib/io/printable.h"

#include <string>

#include "gtest/gtest.h"

namespace attn::io {
namespace {

TEST(Printable, LeavesPlainTextAlone) {
  EXPECT_EQ(Printable("layer,head <f4 (2, 3)"), "layer,head <f4 (2, 3)");
  EXPECT_EQ(Printable(""), "");
}

TEST(Printable, EscapesWhatWouldBreakTheLine) {
  EXPECT_EQ(Printable("a\nb\r\tc"), "a\\nb\\r\\tc");
  EXPECT_EQ(Printable(std::string("\x93NUMPY\0", 7)), "\\x93NUMPY\\x00");
  EXPECT_EQ(Printable("it's \"x\" \\"), "it\\'s \\\"x\\\" \\\\");
}

TEST(OneLine, EscapesOnlyControlBytes) {
  EXPECT_EQ(OneLine("storage \"k\" \xc3\xa9"), "storage \"k\" \xc3\xa9");
  EXPECT_EQ(OneLine(std::string("storage \n\0\0\r0\t\x7f", 15)), "storage \\n\\x00\\x00\\r0\\t\\x7f");
  EXPECT_EQ(OneLine("abcdef", 3), "abc...");
}

TEST(Printable, CutsLongTextAfterMaxBytes) {
  EXPECT_EQ(Printable(std::string(1000, 'x'), 5), "xxxxx...");
  EXPECT_EQ(Printable("abcde", 5), "abcde");
  EXPECT_EQ(Printable(std::string(100, '\n'), 2), "\\n\\n...");
  EXPECT_EQ(Printable(std::string(64, 'y')), std::string(64, 'y'));
  EXPECT_EQ(Printable(std::string(65, 'y')), std::string(64, 'y') + "...");
}

}  // namespace
}  // namespace attn::io
