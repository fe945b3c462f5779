// A tiny LanguageModel for the training tests: each position sees its byte and the byte
// before it (so it is causal and can learn a repetitive corpus in seconds), with a
// dropout, "bias"-named parameters and an output weight tied to the embedding, like the
// real models.
#ifndef ATTN_LIB_TRAIN_TINY_MODEL_FOR_TEST_H_
#define ATTN_LIB_TRAIN_TINY_MODEL_FOR_TEST_H_

#include <map>
#include <string>
#include <vector>

#include "lib/model/language_model.h"
#include "torch/torch.h"

namespace attn::train {

class TinyModel : public model::LanguageModel {
 public:
  explicit TinyModel(int64_t d = 32, double dropout = 0.0, int64_t max_len = 64)
      : d_(d), max_len_(max_len) {
    embedding_ = register_module("embedding", torch::nn::Embedding(model::kVocabSize, d));
    previous_ = register_module("previous", torch::nn::Embedding(model::kVocabSize, d));
    hidden_ = register_module("hidden", torch::nn::Linear(d, d));
    dropout_ = register_module("dropout", torch::nn::Dropout(dropout));
    // Tied: the same tensor under a second name, as the real models' output.weight.
    output_weight_ = register_parameter("output_weight", embedding_->weight);
    output_bias_ = register_parameter("output_bias", torch::zeros({model::kVocabSize}));
    torch::NoGradGuard no_grad;
    embedding_->weight.normal_(0, 0.1);
    previous_->weight.normal_(0, 0.1);
  }

  // No attention to report: `attention` is left as it is.
  torch::Tensor ForwardWithAttention(const torch::Tensor& tokens,
                                     std::vector<torch::Tensor>* /*attention*/) override {
    torch::Tensor before = torch::cat(
        {torch::zeros_like(tokens.narrow(1, 0, 1)), tokens.narrow(1, 0, tokens.size(1) - 1)}, 1);
    torch::Tensor x = embedding_(tokens) + previous_(before);
    x = x + torch::gelu(hidden_(dropout_(x)));
    return torch::matmul(x, output_weight_.t()) + output_bias_;
  }
  std::string Kind() const override { return "tiny"; }
  std::map<std::string, std::string> ConfigMetadata() const override {
    return {{"d_model", std::to_string(d_)}};
  }
  int64_t MaxSeqLen() const override { return max_len_; }
  int64_t NumLayers() const override { return 1; }
  int64_t NumHeads() const override { return 1; }

 private:
  int64_t d_, max_len_;
  torch::nn::Embedding embedding_{nullptr}, previous_{nullptr};
  torch::nn::Linear hidden_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::Tensor output_weight_, output_bias_;
};

}  // namespace attn::train

#endif  // ATTN_LIB_TRAIN_TINY_MODEL_FOR_TEST_H_
