// What each attention head is worth to a model's predictions, measured as Michel, Levy and
// Neubig (2019, "Are Sixteen Heads Really Better than One?") do, with the head mask of
// LanguageModel::SetHeadMask (1 keeps a head, 0 zeroes its output before the output
// projection):
// - ablation: the bits per byte with that one head zeroed, and its increase over the
//   unmasked bits per byte on the same windows;
// - gradient importance: |d bpc(x) / d mask_h| at mask = 1 for every window x, averaged over
//   the windows: the paper's E_x |dL(x)/d xi_h|, the absolute value taken per example before
//   averaging (not the absolute value of the mean gradient), without its optional per-layer
//   normalisation. bpc(x) is the window's mean cross-entropy in bits, so the score is in bits
//   per byte per unit of mask, and -d bpc / d mask_h is the first-order estimate of the
//   ablation's increase.
// The windows are those of dump_attention: consecutive windows of seq_len bytes from the
// start of the tokens; window w reads tokens[w L, (w + 1) L) and every one of its L positions
// is scored, predicting tokens[w L + 1, (w + 1) L]. Evaluation mode: no dropout.
#ifndef ATTN_LIB_EVAL_HEAD_IMPORTANCE_H_
#define ATTN_LIB_EVAL_HEAD_IMPORTANCE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/model/language_model.h"
#include "torch/torch.h"

namespace attn::eval {

struct ImportanceOptions {
  int64_t seq_len = 0;     // window length, 1..the model's positional table
  int64_t batch_size = 8;  // windows per forward pass of the ablations
  int64_t batches = 0;     // at most this many batches of windows; 0: every whole window
  torch::Device device = torch::kCPU;
};

struct HeadImportance {
  int64_t layer = 0, head = 0;
  double ablation_bpc = 0;        // bits per byte with this head's output zeroed
  double ablation_delta_bpc = 0;  // ablation_bpc less the unmasked bits per byte
  double grad_importance = 0;     // mean over windows of |d bpc(window) / d mask_h| at mask = 1
};

struct ImportanceResult {
  double baseline_bpc = 0;  // unmasked, on the same windows
  int64_t windows = 0;
  int64_t bytes_scored = 0;            // windows * seq_len
  std::vector<HeadImportance> heads;  // layer-major
};

// How far a measurement is, in forward-pass equivalents of one window (a gradient, forward
// and backward, counts 3), and what it is doing ("ablating layer 1 head 3").
struct ImportanceProgress {
  int64_t done = 0, total = 0;
  std::string doing;
};

// The number of windows the options give on `num_tokens` tokens (0 when not even one fits).
int64_t ImportanceWindows(int64_t num_tokens, const ImportanceOptions& options);

// Measures every head of `model` (left in evaluation mode, with the head mask it had):
// L x H + 1 forward passes over the windows and one backward per window. A value wrong on
// its own is InvalidArgument; one the model or the tokens cannot serve (a seq_len beyond the
// positional table, tokens shorter than seq_len + 1 bytes) OutOfRange; a model whose loss
// is not finite FailedPrecondition.
absl::StatusOr<ImportanceResult> MeasureHeadImportance(
    model::LanguageModel& model, std::string_view tokens, const ImportanceOptions& options,
    const std::function<void(const ImportanceProgress&)>& on_progress = nullptr);

}  // namespace attn::eval

#endif  // ATTN_LIB_EVAL_HEAD_IMPORTANCE_H_
