#include "lib/runtime/option_checks.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace attn::runtime {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string Message(const absl::Status& s) { return std::string(s.message()); }

TEST(CheckNumber, AcceptsFiniteValuesInRange) {
  EXPECT_TRUE(CheckNumber("lr", 1e-3, kPositive).ok());
  EXPECT_TRUE(CheckNumber("weight_decay", 0, kNonNegative).ok());
  EXPECT_TRUE(CheckNumber("dropout", 0, kProbability).ok());
  EXPECT_TRUE(CheckNumber("top_p", 1, kFraction).ok());
  EXPECT_TRUE(CheckNumber("anything", -5, Range{}).ok());
}

TEST(CheckNumber, RefusesNanInfinitiesAndOutOfRange) {
  const double nan = std::nan("");
  for (const Range& r : {kPositive, kNonNegative, kProbability, kFraction, Range{}}) {
    EXPECT_TRUE(absl::IsInvalidArgument(CheckNumber("x", nan, r)));
    EXPECT_TRUE(absl::IsInvalidArgument(CheckNumber("x", kInf, r)));
    EXPECT_TRUE(absl::IsInvalidArgument(CheckNumber("x", -kInf, r)));
  }
  EXPECT_EQ(Message(CheckNumber("lr", nan, kPositive)), "`lr`=nan must be a finite number > 0");
  EXPECT_EQ(Message(CheckNumber("lr", 0, kPositive)), "`lr`=0 must be a finite number > 0");
  EXPECT_EQ(Message(CheckNumber("dropout", 1, kProbability)),
            "`dropout`=1 must be a finite number in [0, 1)");
  EXPECT_EQ(Message(CheckNumber("top_p", 0, kFraction)), "`top_p`=0 must be a finite number in (0, 1]");
  EXPECT_EQ(Message(CheckNumber("t", -1, kNonNegative)), "`t`=-1 must be a finite number >= 0");
  EXPECT_EQ(Message(CheckNumber("t", kInf, Range{})), "`t`=inf must be a finite number");
}

TEST(CheckInteger, SaysTheBound) {
  EXPECT_TRUE(CheckInteger("seq_len", 1, 1).ok());
  EXPECT_EQ(Message(CheckInteger("seq_len", 0, 1)), "`seq_len`=0 must be at least 1");
  EXPECT_EQ(Message(CheckInteger("patience", -1, 0)), "`patience`=-1 must not be negative");
  EXPECT_EQ(Message(CheckInteger("rank", 4, 0, 3)), "`rank`=4 must be in 0..3");
  EXPECT_TRUE(CheckInteger("rank", 3, 0, 3).ok());
}

}  // namespace
}  // namespace attn::runtime
