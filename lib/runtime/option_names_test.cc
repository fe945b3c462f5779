#include "lib/runtime/option_names.h"

#include <string>

#include "gtest/gtest.h"

namespace attn::runtime {
namespace {

std::string AsFlags(std::string_view message) {
  return SpellOptions(message, [](std::string_view field) {
    return field == "no_flag" ? std::string(field) : "--" + std::string(field);
  });
}

TEST(OptionNames, MarksAField) { EXPECT_EQ(Opt("seq_len"), "`seq_len`"); }

TEST(OptionNames, SpellsEveryMarkedField) {
  EXPECT_EQ(AsFlags(Opt("seq_len") + "=2000 is longer than the table; lower " + Opt("seq_len")),
            "--seq_len=2000 is longer than the table; lower --seq_len");
  EXPECT_EQ(AsFlags("need 0 <= " + Opt("min_lr") + " <= " + Opt("lr")), "need 0 <= --min_lr <= --lr");
  EXPECT_EQ(AsFlags(Opt("no_flag") + " is 5000 in the saved run"), "no_flag is 5000 in the saved run");
}

TEST(OptionNames, LeavesOtherBackticksAlone) {
  EXPECT_EQ(AsFlags("no marks here"), "no marks here");
  EXPECT_EQ(AsFlags("a `path with spaces` and `x2`"), "a `path with spaces` and --x2");
  EXPECT_EQ(AsFlags("odd ` count `k"), "odd ` count `k");
  EXPECT_EQ(AsFlags("``"), "``");
  EXPECT_EQ(AsFlags("`Upper`"), "`Upper`");
  EXPECT_EQ(AsFlags("`a b` `k`"), "`a b` --k");
}

}  // namespace
}  // namespace attn::runtime
