// The decoder's own contract; its logits against the full forward are checked with
// LibTorch's cache in lib/model/cached_forward_test.cc.
#include "lib/model/decoder.h"

#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "ATen/Parallel.h"
#include "gtest/gtest.h"
#include "lib/model/cached_models_for_test.h"
#include "lib/model/kv_cache.h"

namespace attn::model {
namespace {

std::vector<int64_t> Bytes(const torch::Tensor& tokens) {
  const torch::Tensor t = tokens.reshape({-1}).contiguous();
  return std::vector<int64_t>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
}

// Each call computes the rows LibTorch's cache computes (whose counts kv_cache_test checks
// against the brute-force rule), anchored patterns included.
TEST(DecoderTest, ComputesTheRowsTheCacheComputes) {
  ForEachCachedModel(3, [](const CachedModelCase&, const std::shared_ptr<LanguageModel>& m) {
    Decoder decoder(std::move(*m->DecoderWeightsOnCpu()));
    KVCache cache;
    const torch::Tensor tokens = torch::randint(0, 256, {1, 40}, torch::kLong);
    for (int64_t L = 1; L <= tokens.size(1); ++L) {
      const torch::Tensor prefix = tokens.narrow(1, 0, L);
      decoder.Next(Bytes(prefix));
      m->ForwardLast(prefix, cache);
      ASSERT_EQ(decoder.rows_computed(), cache.rows_computed()) << "length " << L;
    }
  });
}

// Products large enough to split over the threads (the feed-forward's 16384 x 32) give the
// same bits at any thread count.
TEST(DecoderTest, TheThreadCountChangesNoBit) {
  DenseConfig config;
  config.d_model = 32;
  config.heads = 4;
  config.layers = 1;
  config.ff = 8192;
  config.max_len = 16;
  torch::manual_seed(7);
  std::shared_ptr<LanguageModel> m = *MakeDenseModel(config);
  const std::vector<int64_t> tokens = {3, 1, 4, 1, 5, 9, 2, 6};
  const int before = at::get_num_threads();
  std::vector<Eigen::RowVectorXf> logits;
  for (const int threads : {1, 2}) {
    at::set_num_threads(threads);
    Decoder decoder(std::move(*m->DecoderWeightsOnCpu()));
    for (size_t n = 1; n < tokens.size(); ++n) decoder.Next({tokens.begin(), tokens.begin() + n});
    logits.push_back(decoder.Next(tokens));
  }
  at::set_num_threads(before);
  EXPECT_EQ(logits[0], logits[1]);
}

TEST(DecoderTest, BadTokensAreErrors) {
  torch::manual_seed(6);
  std::shared_ptr<LanguageModel> m = CachedModels()[0].make();  // positions for 48 bytes
  Decoder decoder(std::move(*m->DecoderWeightsOnCpu()));
  EXPECT_THROW(decoder.Next({}), std::invalid_argument);
  EXPECT_THROW(decoder.Next(std::vector<int64_t>(49, 1)), std::invalid_argument);
  EXPECT_THROW(decoder.Next({1, 256}), std::invalid_argument);
  EXPECT_THROW(decoder.Next({-1}), std::invalid_argument);
  EXPECT_EQ(decoder.Next(std::vector<int64_t>(48, 1)).size(), 256);
}

TEST(DecoderTest, OnlyFloatWeightsOnTheCpuAreExported) {
  for (const CachedModelCase& c : {CachedModels()[0], CachedModels()[3]}) {
    SCOPED_TRACE(c.name);
    std::shared_ptr<LanguageModel> m = c.make();
    EXPECT_NE(m->DecoderWeightsOnCpu(), nullptr);
    m->to(torch::kDouble);
    EXPECT_EQ(m->DecoderWeightsOnCpu(), nullptr);
  }
}

}  // namespace
}  // namespace attn::model
