// Bits per byte of a model on a token file, as enwik8 results are reported: the mean
// cross-entropy of every byte after the first, each predicted once from a sliding window
// (window_plan.h), in nats and in bits (bpc = nats / ln 2). The sparse model's strided and
// global patterns depend on the length of the window they are computed in, so its score
// depends on the windows too, not only on how much context each byte has.
#ifndef ATTN_LIB_EVAL_BITS_PER_BYTE_H_
#define ATTN_LIB_EVAL_BITS_PER_BYTE_H_

#include <cstdint>
#include <functional>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/model/language_model.h"
#include "lib/runtime/precision.h"
#include "torch/torch.h"

namespace attn::eval {

struct BitsPerByteOptions {
  int64_t context = 0;     // bytes of context at most; at most the model's positional table
  int64_t stride = 0;      // 1..context
  int64_t batch_size = 8;  // windows per forward pass
  runtime::Precision precision = runtime::Precision::kFp32;
  torch::Device device = torch::kCPU;
};

struct BitsPerByte {
  double nats = 0;           // summed over the predicted bytes
  int64_t bytes_scored = 0;  // predicted bytes: the tokens less the first
  double nats_per_byte() const { return nats / static_cast<double>(bytes_scored); }
  double bpc() const;
};

// Runs `model` in evaluation mode (it stays so) over `tokens`. `on_progress`, when given,
// gets the sums so far after each forward pass. Bad options, or a context beyond the
// positional table, are InvalidArgument.
absl::StatusOr<BitsPerByte> MeasureBitsPerByte(model::LanguageModel& model, std::string_view tokens,
                                               const BitsPerByteOptions& options,
                                               const std::function<void(const BitsPerByte&)>& on_progress = nullptr);

}  // namespace attn::eval

#endif  // ATTN_LIB_EVAL_BITS_PER_BYTE_H_
