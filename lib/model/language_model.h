// The common surface of the dense and the sparse byte-level transformers, so that
// training, generation and attention dumping work on either.
#ifndef ATTN_LIB_MODEL_LANGUAGE_MODEL_H_
#define ATTN_LIB_MODEL_LANGUAGE_MODEL_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/model/decoder_weights.h"
#include "torch/torch.h"

namespace attn::model {

inline constexpr int64_t kVocabSize = 256;

class KVCache;  // lib/model/kv_cache.h

class LanguageModel : public torch::nn::Module {
 public:
  // tokens: [B, L] int64 bytes. Returns logits [B, L, 256] for the next byte.
  // Dropout, token dropout and stochastic depth follow is_training().
  torch::Tensor Forward(const torch::Tensor& tokens) { return ForwardWithAttention(tokens, nullptr); }

  // As Forward, and, when `attention` is not null, appends each layer's per-head attention
  // probabilities ([B, heads, L, L], masked entries exactly 0) to it, layer by layer.
  virtual torch::Tensor ForwardWithAttention(const torch::Tensor& tokens,
                                             std::vector<torch::Tensor>* attention) = 0;

  // Generation, in eval mode: Forward(tokens)[:, -1] ([B, 256]), the next byte's logits after
  // the whole of `tokens`. Models with a cached path (both transformers) extend `cache` when
  // `tokens` extends the tokens of its previous call and rebuild it otherwise (KVCache); this
  // default runs the full forward.
  virtual torch::Tensor ForwardLast(const torch::Tensor& tokens, KVCache& /*cache*/) {
    return Forward(tokens).select(1, -1);
  }

  // A copy of the weights as plain matrices, for generation's decoder on the CPU
  // (lib/model/decoder.h), head mask included; nullptr when there is none to give (weights
  // not float32 on the CPU, a model without that description): generation then uses
  // ForwardLast.
  virtual std::unique_ptr<DecoderWeights> DecoderWeightsOnCpu() { return nullptr; }

  // "dense" or "sparse": the checkpoint's kind.
  virtual std::string Kind() const = 0;

  // The model's configuration as strings, stored in the checkpoint metadata and
  // enough to rebuild the model.
  virtual std::map<std::string, std::string> ConfigMetadata() const = 0;

  // Weights shared under a second state_dict name (weight tying): alias -> source. The
  // checkpoint writes the source's data under both names and checks they agree on load.
  virtual std::map<std::string, std::string> TiedWeights() const { return {}; }

  // Where the weights are (after to()): the device inputs must be on.
  torch::Device Device() const {
    const std::vector<torch::Tensor> p = parameters();
    return p.empty() ? torch::Device(torch::kCPU) : p.front().device();
  }

  // Longest sequence the positional table supports.
  virtual int64_t MaxSeqLen() const = 0;
  virtual int64_t NumLayers() const = 0;
  virtual int64_t NumHeads() const = 0;

  // Head importance (Michel et al. 2019): `mask`, [layers, heads] float, multiplies each
  // head's attention output before the layer's output projection: 1 keeps the head as it is,
  // 0 ablates it; with requires_grad, backward gives d loss / d mask. An undefined tensor (the
  // default) removes the mask. While a mask is set, gradient checkpointing is not used.
  absl::Status SetHeadMask(const torch::Tensor& mask) {
    if (mask.defined() && (mask.dim() != 2 || mask.size(0) != NumLayers() || mask.size(1) != NumHeads() ||
                           !mask.is_floating_point())) {
      return absl::InvalidArgumentError(absl::StrCat("the head mask must be a [", NumLayers(), ", ", NumHeads(),
                                                     "] float tensor (layers x heads), got ", mask.dim(),
                                                     " dimensions of ", c10::toString(mask.scalar_type())));
    }
    head_mask_ = mask;
    return absl::OkStatus();
  }
  const torch::Tensor& head_mask() const { return head_mask_; }

 protected:
  // Layer `layer`'s row of the head mask ([heads]), or an undefined tensor without a mask.
  torch::Tensor HeadMaskRow(int64_t layer) const { return head_mask_.defined() ? head_mask_[layer] : torch::Tensor(); }
  // The same row for the decoder (DecoderLayerWeights::head_scale): ones without a mask.
  Eigen::RowVectorXf HeadScale(int64_t layer) const {
    if (!head_mask_.defined()) return Eigen::RowVectorXf::Ones(NumHeads());
    return ToRowVector(head_mask_[layer].detach().to(torch::kCPU, torch::kFloat));
  }

 private:
  torch::Tensor head_mask_;
};

// Per-head outputs [B, heads, L, Dh] times `row` ([heads], from HeadMaskRow); unchanged when
// `row` is undefined.
inline torch::Tensor MaskHeads(const torch::Tensor& heads_out, const torch::Tensor& row) {
  if (!row.defined()) return heads_out;
  return heads_out * row.to(heads_out.device(), heads_out.scalar_type()).view({1, -1, 1, 1});
}

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_LANGUAGE_MODEL_H_
