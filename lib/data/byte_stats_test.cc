#include "lib/data/byte_stats.h"

#include <cmath>
#include <string>

#include "gtest/gtest.h"

namespace attn::data {
namespace {

TEST(ByteStats, HandComputedValues) {
  // One symbol: no uncertainty.
  ByteStats s = ComputeByteStats("aaaa");
  EXPECT_EQ(s.bytes, 4);
  EXPECT_EQ(s.distinct_tokens, 1);
  EXPECT_DOUBLE_EQ(s.entropy_bits_per_byte, 0.0);
  // Two equally likely symbols: 1 bit; four: 2 bits.
  EXPECT_DOUBLE_EQ(ComputeByteStats("abab").entropy_bits_per_byte, 1.0);
  EXPECT_DOUBLE_EQ(ComputeByteStats("abcd").entropy_bits_per_byte, 2.0);
  // p = (1/2, 1/4, 1/4): 0.5*1 + 2*0.25*2 = 1.5 bits.
  s = ComputeByteStats("aabc");
  EXPECT_EQ(s.distinct_tokens, 3);
  EXPECT_DOUBLE_EQ(s.entropy_bits_per_byte, 1.5);
  // p = (2/3, 1/3): log2(3) - 2/3 = 0.9182958340544896.
  EXPECT_NEAR(ComputeByteStats("aab").entropy_bits_per_byte, 0.9182958340544896, 1e-15);
}

TEST(ByteStats, AllByteValuesUniformlyGiveEightBits) {
  std::string all;
  for (int rep = 0; rep < 3; ++rep) {
    for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  }
  const ByteStats s = ComputeByteStats(all);
  EXPECT_EQ(s.bytes, 768);
  EXPECT_EQ(s.distinct_tokens, 256);
  EXPECT_NEAR(s.entropy_bits_per_byte, 8.0, 1e-12);
}

TEST(ByteStats, EmptyInputHasZeroEntropy) {
  const ByteStats s = ComputeByteStats("");
  EXPECT_EQ(s.bytes, 0);
  EXPECT_EQ(s.distinct_tokens, 0);
  EXPECT_EQ(s.entropy_bits_per_byte, 0.0);
}

TEST(ByteHistogram, CountsMatchABruteForceCountAcrossUnrolledTails) {
  std::string text;
  for (int i = 0; i < 1003; ++i) text.push_back(static_cast<char>((i * i + 7 * i) % 251));
  ByteHistogram h;
  h.Add(text.substr(0, 501));
  h.Add(text.substr(501));
  for (int b = 0; b < 256; ++b) {
    int64_t expected = 0;
    for (char c : text) expected += static_cast<unsigned char>(c) == b;
    EXPECT_EQ(h.count(static_cast<unsigned char>(b)), expected) << b;
  }
}

TEST(ByteHistogram, MergeEqualsAddingEverything) {
  ByteHistogram a, b, both;
  a.Add("hello ");
  b.Add("world");
  both.Add("hello world");
  a.Merge(b);
  EXPECT_EQ(a.Stats().bytes, 11);
  EXPECT_EQ(a.Stats().distinct_tokens, 8);  // h e l o space w r d
  EXPECT_DOUBLE_EQ(a.Stats().entropy_bits_per_byte, both.Stats().entropy_bits_per_byte);
}

TEST(FormatStatsTable, HeaderAndRows) {
  EXPECT_EQ(
      FormatStatsTable({{"train", ComputeByteStats("aab")}, {"valid", ComputeByteStats("ab")}}),
      "split\tbytes\tdistinct_tokens\tentropy_bits_per_byte\n"
      "train\t3\t2\t0.918296\n"
      "valid\t2\t2\t1.000000\n");
}

}  // namespace
}  // namespace attn::data
