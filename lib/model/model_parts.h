// Pieces both byte-level transformers share: the sinusoidal table, the input check,
// the original's initialisers and the tied output layer.
#ifndef ATTN_LIB_MODEL_MODEL_PARTS_H_
#define ATTN_LIB_MODEL_MODEL_PARTS_H_

#include <cmath>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "lib/model/language_model.h"
#include "torch/torch.h"

namespace attn::model {

// pe[pos, 2i] = sin(pos / 10000^(2i/d)), pe[pos, 2i+1] = cos(...), computed as the
// original does (float32, div_term = exp(arange(0, d, 2) * -ln(10000)/d)). d must be even.
torch::Tensor SinusoidalTable(int64_t max_len, int64_t d_model);

// Throws std::invalid_argument (a one-line message) unless tokens is a [B, L] int64 tensor
// with 1 <= L <= max_len. Models call it first, so an over-long sequence is an error, not a crash.
void CheckTokens(const torch::Tensor& tokens, int64_t max_len);

// True where key j lies in the future of query i: [L, L] bool, the causal mask.
torch::Tensor FutureMask(int64_t seq_len, const torch::Device& device);

// torch.nn.init.trunc_normal_(t, mean=0, std, a=lo, b=hi) as PyTorch implements it; nothing
// while a WeightsToBeLoaded exists on this thread.
void TruncatedNormal(torch::Tensor& t, double std, double lo, double hi);

// While one exists, the models built on this thread are about to receive a checkpoint's
// weights (LoadCheckpointFrom), so TruncatedNormal skips its draws: an erfinv per weight, about
// 1 s of start-up for the original's 12 layers, for values that are overwritten at once.
class WeightsToBeLoaded {
 public:
  WeightsToBeLoaded();
  ~WeightsToBeLoaded();
  WeightsToBeLoaded(const WeightsToBeLoaded&) = delete;
  WeightsToBeLoaded& operator=(const WeightsToBeLoaded&) = delete;

 private:
  bool outer_;
};

// An output layer whose own parameter is only its bias [256]: its weight is the embedding
// (weight tying), so parameters() lists the shared matrix once, as Python's does. The bias
// starts as nn.Linear's default, U(-1/sqrt(d), 1/sqrt(d)) (the sparse original keeps it; the
// dense one zeroes it).
class TiedOutputImpl : public torch::nn::Module {
 public:
  explicit TiedOutputImpl(int64_t d_model) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(d_model));
    bias = register_parameter("bias", torch::empty({kVocabSize}).uniform_(-bound, bound));
  }
  torch::Tensor bias;
};
TORCH_MODULE(TiedOutput);

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_MODEL_PARTS_H_
