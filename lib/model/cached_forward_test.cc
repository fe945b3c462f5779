// Both cached forwards, LibTorch's (KVCache through ForwardLast) and the plain-loop Decoder,
// against the full forward, on the same models and the same sequences.
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "lib/model/cached_models_for_test.h"
#include "lib/model/decoder.h"
#include "lib/model/kv_cache.h"

namespace attn::model {
namespace {

// One cached forward of one model: the next byte's logits [1, 256] after tokens [1, L], and
// the rows its last call computed in each layer.
struct CachedForward {
  std::function<torch::Tensor(const torch::Tensor&)> next;
  std::function<std::vector<int64_t>()> rows;
};

struct Implementation {
  std::string name;
  std::function<CachedForward(const std::shared_ptr<LanguageModel>&)> make;  // after any SetHeadMask
};

std::vector<Implementation> Implementations() {
  return {{"KVCache",
           [](const std::shared_ptr<LanguageModel>& m) {
             auto cache = std::make_shared<KVCache>();
             return CachedForward{[m, cache](const torch::Tensor& t) { return m->ForwardLast(t, *cache); },
                                  [cache] { return cache->rows_computed(); }};
           }},
          {"Decoder", [](const std::shared_ptr<LanguageModel>& m) {
             std::unique_ptr<DecoderWeights> w = m->DecoderWeightsOnCpu();
             EXPECT_NE(w, nullptr);
             auto decoder = std::make_shared<Decoder>(std::move(*w));
             return CachedForward{[decoder](const torch::Tensor& t) {
                                    const torch::Tensor bytes = t.reshape({-1}).contiguous();
                                    const Eigen::RowVectorXf& logits = decoder->Next(std::vector<int64_t>(
                                        bytes.data_ptr<int64_t>(), bytes.data_ptr<int64_t>() + bytes.numel()));
                                    return torch::from_blob(const_cast<float*>(logits.data()), {1, logits.size()})
                                        .clone();
                                  },
                                  [decoder] { return decoder->rows_computed(); }};
           }}};
}

// Runs `check` for every implementation on every model (ForEachCachedModel).
void ForEach(uint64_t seed, const std::function<void(const CachedModelCase&, const std::shared_ptr<LanguageModel>&,
                                                      const Implementation&)>& check) {
  for (const Implementation& impl : Implementations()) {
    SCOPED_TRACE(impl.name);
    ForEachCachedModel(seed, [&](const CachedModelCase& c, const std::shared_ptr<LanguageModel>& m) { check(c, m, impl); });
  }
}

TEST(CachedForwardTest, EveryPositionMatchesTheFullForward) {
  ForEach(3, [](const CachedModelCase& c, const std::shared_ptr<LanguageModel>& m, const Implementation& impl) {
    CachedForward forward = impl.make(m);
    const torch::Tensor tokens = torch::randint(0, 256, {1, 40}, torch::kLong);
    bool moved = false;
    for (int64_t L = 1; L <= tokens.size(1); ++L) {
      const torch::Tensor prefix = tokens.narrow(1, 0, L);
      ASSERT_TRUE(CloseLogits(forward.next(prefix), m->Forward(prefix).select(1, -1))) << "length " << L;
      // The first layer's input is position-wise: only the new row, unless a pattern moved.
      const std::vector<int64_t> rows = forward.rows();
      ASSERT_EQ(static_cast<int64_t>(rows.size()), m->NumLayers());
      for (const int64_t r : rows) {
        moved = moved || r > 1;
        if (!c.patterns_move) ASSERT_EQ(r, 1) << "length " << L;
      }
    }
    EXPECT_EQ(moved, c.patterns_move);
  });
}

TEST(CachedForwardTest, SeveralNewBytesAtOnceAndASlidWindow) {
  ForEach(4, [](const CachedModelCase&, const std::shared_ptr<LanguageModel>& m, const Implementation& impl) {
    CachedForward forward = impl.make(m);
    const torch::Tensor tokens = torch::randint(0, 256, {1, 48}, torch::kLong);
    // A prompt, several bytes at once, one byte, windows that slid (rebuilt) and grew, the
    // same window again (rebuilt: it does not extend the last one), and the longest window
    // the positions allow.
    for (const auto& [begin, end] : std::vector<std::pair<int64_t, int64_t>>{
             {0, 10}, {0, 17}, {0, 18}, {1, 19}, {1, 21}, {2, 22}, {2, 22}, {0, 48}}) {
      const torch::Tensor window = tokens.narrow(1, begin, end - begin);
      ASSERT_TRUE(CloseLogits(forward.next(window), m->Forward(window).select(1, -1)))
          << "positions " << begin << ".." << end;
      if (begin == 2) {
        for (const int64_t r : forward.rows()) EXPECT_EQ(r, 20);
      }
    }
  });
}

TEST(CachedForwardTest, HeadMaskApplies) {
  ForEach(5, [](const CachedModelCase&, const std::shared_ptr<LanguageModel>& m, const Implementation& impl) {
    torch::Tensor mask = torch::ones({m->NumLayers(), m->NumHeads()});
    mask[0][1] = 0.0;
    mask[1][2] = 0.5;
    ASSERT_TRUE(m->SetHeadMask(mask).ok());
    CachedForward forward = impl.make(m);
    const torch::Tensor tokens = torch::randint(0, 256, {1, 25}, torch::kLong);
    for (int64_t L = 1; L <= tokens.size(1); ++L) {
      const torch::Tensor prefix = tokens.narrow(1, 0, L);
      ASSERT_TRUE(CloseLogits(forward.next(prefix), m->Forward(prefix).select(1, -1))) << "length " << L;
    }
  });
}

}  // namespace
}  // namespace attn::model
