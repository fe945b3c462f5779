// The common surface of the dense and the sparse byte-level transformers, so that
// training, generation and attention dumping work on either.
#ifndef ATTN_LIB_MODEL_LANGUAGE_MODEL_H_
#define ATTN_LIB_MODEL_LANGUAGE_MODEL_H_

#include <map>
#include <string>
#include <vector>

#include "torch/torch.h"

namespace attn::model {

inline constexpr int64_t kVocabSize = 256;

class LanguageModel : public torch::nn::Module {
 public:
  // tokens: [B, L] int64 bytes. Returns logits [B, L, 256] for the next byte.
  // Dropout, token dropout and stochastic depth follow is_training().
  torch::Tensor Forward(const torch::Tensor& tokens) { return ForwardWithAttention(tokens, nullptr); }

  // As Forward, and, when `attention` is not null, appends each layer's per-head attention
  // probabilities ([B, heads, L, L], masked entries exactly 0) to it, layer by layer.
  virtual torch::Tensor ForwardWithAttention(const torch::Tensor& tokens,
                                             std::vector<torch::Tensor>* attention) = 0;

  // "dense" or "sparse": the checkpoint's kind.
  virtual std::string Kind() const = 0;

  // The model's configuration as strings, stored in the checkpoint metadata and
  // enough to rebuild the model.
  virtual std::map<std::string, std::string> ConfigMetadata() const = 0;

  // Weights shared under a second state_dict name (weight tying): alias -> source. The
  // checkpoint writes the source's data under both names and checks they agree on load.
  virtual std::map<std::string, std::string> TiedWeights() const { return {}; }

  // Longest sequence the positional table supports.
  virtual int64_t MaxSeqLen() const = 0;
  virtual int64_t NumLayers() const = 0;
  virtual int64_t NumHeads() const = 0;
};

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_LANGUAGE_MODEL_H_
