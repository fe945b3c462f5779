#include "lib/data/batches.h"

#include <string>

#include "gtest/gtest.h"

namespace attn::data {
namespace {

std::string Iota(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>(i));
  return s;
}

std::vector<int64_t> Row(const torch::Tensor& t, int64_t r) {
  torch::Tensor row = t[r].contiguous();
  return std::vector<int64_t>(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel());
}

TEST(BatchStreamTest, ParallelStreamsOfConsecutiveWindows) {
  // 23 tokens, 2 streams: stream 0 = 0..10, stream 1 = 11..21, token 22 dropped.
  // Windows of 3 (+1 target): (11 - 1) / 3 = 3 windows per stream.
  auto data = BatchStream::FromTokens(Iota(23), 2, 3, "t");
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->NumBatches(), 3);
  EXPECT_EQ(data->TokensPerBatch(), 6);
  Batch b0 = data->Get(0);
  EXPECT_EQ(b0.inputs.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(b0.inputs.dtype(), torch::kInt64);
  EXPECT_EQ(Row(b0.inputs, 0), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(Row(b0.targets, 0), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(Row(b0.inputs, 1), (std::vector<int64_t>{11, 12, 13}));
  EXPECT_EQ(Row(b0.targets, 1), (std::vector<int64_t>{12, 13, 14}));
  Batch b2 = data->Get(2);
  EXPECT_EQ(Row(b2.inputs, 0), (std::vector<int64_t>{6, 7, 8}));
  EXPECT_EQ(Row(b2.targets, 0), (std::vector<int64_t>{7, 8, 9}));
  EXPECT_EQ(Row(b2.inputs, 1), (std::vector<int64_t>{17, 18, 19}));
  EXPECT_EQ(Row(b2.targets, 1), (std::vector<int64_t>{18, 19, 20}));
}

TEST(BatchStreamTest, StreamsAreOneRanksShareWithTheSameWindows) {
  // 4 streams of 6 tokens (0..5, 6..11, 12..17, 18..23); windows of 2: 2 batches.
  auto data = BatchStream::FromTokens(Iota(24), 4, 2, "t");
  ASSERT_TRUE(data.ok()) << data.status();
  BatchStream share = data->Streams(2, 2);
  EXPECT_EQ(share.batch(), 2);
  EXPECT_EQ(share.NumBatches(), 2);
  EXPECT_EQ(share.TokensPerBatch(), 4);
  Batch b1 = share.Get(1);
  EXPECT_EQ(Row(b1.inputs, 0), (std::vector<int64_t>{14, 15}));
  EXPECT_EQ(Row(b1.targets, 0), (std::vector<int64_t>{15, 16}));
  EXPECT_EQ(Row(b1.inputs, 1), (std::vector<int64_t>{20, 21}));
  EXPECT_EQ(Row(b1.targets, 1), (std::vector<int64_t>{21, 22}));
}

TEST(BatchStreamTest, BytesAbove127AreNotSignExtended) {
  std::string tokens = {'\xff', '\x80', '\x01'};
  auto data = BatchStream::FromTokens(tokens, 1, 2, "t");
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(Row(data->Get(0).inputs, 0), (std::vector<int64_t>{255, 128}));
  EXPECT_EQ(Row(data->Get(0).targets, 0), (std::vector<int64_t>{128, 1}));
}

TEST(BatchStreamTest, ExactlyOneBatch) {
  auto data = BatchStream::FromTokens(Iota(8), 2, 3, "t");
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->NumBatches(), 1);
}

TEST(BatchStreamTest, ShorterThanOneBatchIsAClearError) {
  auto data = BatchStream::FromTokens(Iota(7), 2, 3, "small.u8");
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(data.status().message());
  EXPECT_NE(message.find("small.u8"), std::string::npos) << message;
  EXPECT_NE(message.find("8 tokens needed"), std::string::npos) << message;
  EXPECT_NE(message.find("`batch_size`"), std::string::npos) << message;
}

TEST(BatchStreamTest, MissingFileNamesThePath) {
  auto data = BatchStream::FromFile("/nonexistent/tokens.u8", 2, 3);
  ASSERT_FALSE(data.ok());
  EXPECT_NE(std::string(data.status().message()).find("/nonexistent/tokens.u8"), std::string::npos)
      << data.status();
}

}  // namespace
}  // namespace attn::data
