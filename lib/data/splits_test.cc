#include "lib/data/splits.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace attn::data {
namespace {

// (name, offset, size) triples, for compact expectations.
struct Expected {
  const char* name;
  int64_t offset;
  int64_t size;
};

void ExpectSplits(const absl::StatusOr<std::vector<Split>>& splits,
                  const std::vector<Expected>& expected) {
  ASSERT_TRUE(splits.ok()) << splits.status();
  ASSERT_EQ(splits->size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ((*splits)[i].name, expected[i].name) << i;
    EXPECT_EQ((*splits)[i].offset, expected[i].offset) << i;
    EXPECT_EQ((*splits)[i].size, expected[i].size) << i;
  }
}

absl::Status Error(const std::string& flag, int64_t size) {
  absl::StatusOr<SplitSpec> spec = ParseSplits(flag);
  if (!spec.ok()) return spec.status();
  return ComputeSplits(*spec, size).status();
}

TEST(ComputeSplits, DefaultOnEnwik8IsTheStandardBenchmarkSplit) {
  ExpectSplits(ComputeSplits(DefaultSplits(), 100'000'000), {{"train", 0, 90'000'000},
                                                             {"valid", 90'000'000, 5'000'000},
                                                             {"test", 95'000'000, 5'000'000}});
  ExpectSplits(ComputeSplits(*ParseSplits(""), 100'000'000), {{"train", 0, 90'000'000},
                                                              {"valid", 90'000'000, 5'000'000},
                                                              {"test", 95'000'000, 5'000'000}});
}

TEST(ComputeSplits, DefaultRemainderGoesToTrain) {
  // valid = test = floor(0.05 * 1019) = floor(50.95) = 50; train = 1019 - 100.
  ExpectSplits(ComputeSplits(DefaultSplits(), 1019),
               {{"train", 0, 919}, {"valid", 919, 50}, {"test", 969, 50}});
  // 20 bytes: 1 + 1, train 18. The smallest input all three splits are non-empty for.
  ExpectSplits(ComputeSplits(DefaultSplits(), 20),
               {{"train", 0, 18}, {"valid", 18, 1}, {"test", 19, 1}});
}

TEST(ComputeSplits, SizesSumToTheInputForManySizes) {
  for (const std::string flag : {"", "0.9,0.1", "0.333333333,0.333333333,0.333333334",
                                 "0.7,0.2,0.1", "0.29,0.71", ".5,.25,.25"}) {
    for (int64_t n :
         std::vector<int64_t>{40, 99, 101, 1000, 12345, 99'999'999, 100'000'001, 987'654'321'987}) {
      absl::StatusOr<std::vector<Split>> splits = ComputeSplits(*ParseSplits(flag), n);
      ASSERT_TRUE(splits.ok()) << flag << " " << n << ": " << splits.status();
      int64_t offset = 0;
      for (const Split& s : *splits) {
        EXPECT_EQ(s.offset, offset) << flag << " " << n;
        offset += s.size;
      }
      EXPECT_EQ(offset, n) << flag << " " << n;
    }
  }
}

TEST(ComputeSplits, FractionsAreExactNotFloatingPoint) {
  // 0.29 * 100 is 28.999999999999996 in doubles; the exact decimal gives 29.
  ExpectSplits(ComputeSplits(*ParseSplits("0.71,0.29"), 100),
               {{"train", 0, 71}, {"valid", 71, 29}});
  // The original research code's 90/10 split.
  ExpectSplits(ComputeSplits(*ParseSplits("0.9,0.1"), 100'000'000),
               {{"train", 0, 90'000'000}, {"valid", 90'000'000, 10'000'000}});
  // floor(0.1 * 1234567) = 123456, train gets the rest.
  ExpectSplits(ComputeSplits(*ParseSplits("0.9,0.1"), 1'234'567),
               {{"train", 0, 1'111'111}, {"valid", 1'111'111, 123'456}});
}

TEST(ComputeSplits, ByteCountsAreTakenAsGiven) {
  ExpectSplits(ComputeSplits(*ParseSplits("7,2,1"), 10),
               {{"train", 0, 7}, {"valid", 7, 2}, {"test", 9, 1}});
  ExpectSplits(ComputeSplits(*ParseSplits("90000000,10000000"), 100'000'000),
               {{"train", 0, 90'000'000}, {"valid", 90'000'000, 10'000'000}});
}

TEST(ParseSplits, RecognisesFractionsAndCounts) {
  EXPECT_EQ(ParseSplits("0.9,0.1")->kind, SplitSpec::Kind::kFractions);
  EXPECT_EQ(ParseSplits("0.9,0.1")->parts,
            (std::vector<int64_t>{900'000'000'000'000'000, 100'000'000'000'000'000}));
  EXPECT_FALSE(ParseSplits("1.,0.").ok());  // "1." parses; the 0 part is refused
  EXPECT_EQ(ParseSplits(".95,.05")->kind, SplitSpec::Kind::kFractions);
  EXPECT_EQ(ParseSplits("9,1")->kind, SplitSpec::Kind::kByteCounts);
  EXPECT_EQ(ParseSplits("9,1")->parts, (std::vector<int64_t>{9, 1}));
  EXPECT_TRUE(ParseSplits("0.9999999995,0.0000000001").ok());  // within 1e-9 of 1
}

TEST(ParseSplits, RejectsBadFlags) {
  for (const std::string flag :
       {"0.9", "0.5,0.3,0.1,0.1", "0.8,0.1", "0.9,0.2", "0.5,abc", "0.5,-0.5,1", "1e-1,0.9",
        "0.9,0.1,", ",", "0.9,0.1,0", "1.5,-0.5", "1.0,0.0", "0.9 ,0.1", "90,x",
        "0.9999999979,0.0000000001", "0.1234567890123456789,0.8765432109876543211",
        "99999999999999999999,1", "10,0", "-5,15"}) {
    absl::StatusOr<SplitSpec> spec = ParseSplits(flag);
    EXPECT_FALSE(spec.ok()) << flag;
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << flag;
  }
}

TEST(ComputeSplits, ByteCountsMustCoverTheInputExactly) {
  const absl::Status too_many = Error("8,2,1", 10);
  EXPECT_EQ(too_many.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(too_many.message().find("sums to 11 bytes but the input has 10"), std::string::npos)
      << too_many;
  EXPECT_EQ(Error("7,2", 10).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Error("7,3", 10).ok());
}

TEST(ComputeSplits, AnEmptySplitIsAnError) {
  // 19 bytes: floor(0.05 * 19) = 0 for valid.
  const absl::Status status = ComputeSplits(DefaultSplits(), 19).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("'valid'"), std::string::npos) << status;
  EXPECT_FALSE(Error("0.99,0.01", 99).ok());
  EXPECT_TRUE(Error("0.99,0.01", 100).ok());
}

}  // namespace
}  // namespace attn::data
