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
  int64_t context = 0;  // the most bytes of context the model sees (0 = the model's MaxSeqLen)
  // When the context would pass `context` bytes, its start moves on by `slide` bytes
  // (WindowStart); 0 = half the context (rounded down, at least 1), 1 = always the last
  // `context` bytes. Between slides each byte costs one cached row per layer; a slide
  // re-encodes the bytes kept once.
  int64_t slide = 0;
  uint64_t seed = 42;
  // Each layer's keys and values kept between bytes (model::Decoder on the CPU, else
  // model::KVCache); false runs the whole window for every byte, the reference the cache is
  // tested against. Not a flag: the output is the same.
  bool use_cache = true;

  // Finite temperature >= 0, 0 < top_p <= 1, top_k >= 0, max_bytes >= 0, context >= 0,
  // slide >= 0:
  // InvalidArgument naming the option otherwise.
  absl::Status Validate() const;
};

// The distribution [256] the next byte is drawn from, given logits [256]: softmax of
// logits / temperature, then top-k, then top-p (the smallest set of most likely bytes
// whose probability is at least top_p), renormalised. Ties at the cut are kept.
torch::Tensor NextByteProbabilities(const torch::Tensor& logits, const SamplingOptions& options);

// Where the context of the byte at position t (0-based in prompt + output) starts under
// `context` (>= 1) and `slide` (1..context): the first multiple of `slide` that leaves at
// most `context` bytes before t. So every byte sees between context - slide + 1 and
// context bytes (all of them while t <= context), and the start moves only every `slide`
// bytes, each time by `slide`.
int64_t WindowStart(int64_t t, int64_t context, int64_t slide);

// Feeds `prompt` (not empty) and emits options.max_bytes sampled bytes one by one. Checks
// the options first (a slide beyond the context is an error). The context is
// options.context capped at the model's MaxSeqLen and starts where WindowStart says, with
// or without the cache. A model that computes non-finite logits (NaN or infinite weights)
// is an error, not a sample.
absl::Status Generate(model::LanguageModel& model, const std::string& prompt,
                      const SamplingOptions& options, const std::function<absl::Status(char)>& emit);

}  // namespace attn::generate

#endif  // ATTN_LIB_GENERATE_SAMPLER_H_
