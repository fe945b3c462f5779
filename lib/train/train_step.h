// One optimizer step of a language model (forward, backward over the micro-batches,
// gradient accumulation, clipping, the update) and the validation loss.
#ifndef ATTN_LIB_TRAIN_TRAIN_STEP_H_
#define ATTN_LIB_TRAIN_TRAIN_STEP_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/data/batches.h"
#include "lib/model/language_model.h"
#include "lib/runtime/precision.h"
#include "torch/torch.h"

namespace attn::train {

// Mean cross-entropy of logits [B, L, 256] against targets [B, L], in float32 even
// under autocast (a log-softmax over 256 bytes in bf16 is lossy).
torch::Tensor Loss(const torch::Tensor& logits, const torch::Tensor& targets);

// Mean cross-entropy (nats per token) over the first `max_batches` batches of `data`
// (0 = all), without dropout.
double EvaluateLoss(model::LanguageModel& model, const data::BatchStream& data,
                    int64_t max_batches, runtime::Precision precision, torch::Device device);

// Forward and backward of one optimizer step's micro-batches, each loss scaled by
// 1 / micro_batches.size(), so the gradients add up to those of their mean loss (the
// caller zeroes them first). Returns that mean loss.
double AccumulateGradients(model::LanguageModel& model, const std::vector<data::Batch>& micro_batches,
                           runtime::Precision precision, torch::Device device);

struct StepSettings {
  double lr = 0;
  double clip_norm = 1.0;
  runtime::Precision precision = runtime::Precision::kFp32;
  torch::Device device = torch::kCPU;
  // Called once the gradients of all micro-batches are accumulated, before clipping: the
  // seam for a data-parallel gradient all-reduce.
  std::function<absl::Status()> after_gradients;
};

// Zeroes the gradients, accumulates them over `micro_batches`, clips their global norm
// over `parameters` and steps `optimizer` at settings.lr. Returns the mean loss; a
// non-finite loss is an error (the run diverged) and leaves the weights unchanged.
absl::StatusOr<double> TrainStep(model::LanguageModel& model, torch::optim::AdamW& optimizer,
                                 const std::vector<torch::Tensor>& parameters,
                                 const std::vector<data::Batch>& micro_batches,
                                 const StepSettings& settings);

}  // namespace attn::train

#endif  // ATTN_LIB_TRAIN_TRAIN_STEP_H_
