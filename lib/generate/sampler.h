// Sampling bytes from a language model: temperature, top-k and top-p (nucleus) filtering.
#ifndef ATTN_LIB_GENERATE_SAMPLER_H_
#define ATTN_LIB_GENERATE_SAMPLER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "lib/model/language_model.h"
#include "torch/torch.h"

namespace attn::generate {

struct SamplingOptions {
  double temperature = 1.0;  // 0 = always the most likely byte
  int64_t top_k = 0;         // keep the k most likely bytes (0 = all)
  double top_p = 1.0;        // keep the most likely bytes until their probability reaches p
  int64_t max_bytes = 500;
  int64_t context = 0;  // bytes of context the model sees (0 = the model's MaxSeqLen)
  uint64_t seed = 42;
  // Each layer's keys and values kept between bytes (model::KVCache); false runs the whole
  // window for every byte, the reference the cache is tested against. Not a flag: the output
  // is the same.
  bool use_cache = true;

  // Finite temperature >= 0, 0 < top_p <= 1, top_k >= 0, max_bytes >= 0, context >= 0:
  // InvalidArgument naming the option otherwise.
  absl::Status Validate() const;
};

// The distribution [256] the next byte is drawn from, given logits [256]: softmax of
// logits / temperature, then top-k, then top-p (the smallest set of most likely bytes
// whose probability is at least top_p), renormalised. Ties at the cut are kept.
torch::Tensor NextByteProbabilities(const torch::Tensor& logits, const SamplingOptions& options);

// Feeds `prompt` (not empty) and emits options.max_bytes sampled bytes one by one. Checks
// the options first; a model that computes non-finite logits (NaN or infinite weights) is
// an error, not a sample.
absl::Status Generate(model::LanguageModel& model, const std::string& prompt,
                      const SamplingOptions& options, const std::function<absl::Status(char)>& emit);

}  // namespace attn::generate

#endif  // ATTN_LIB_GENERATE_SAMPLER_H_
