#include "lib/train/train_step.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "lib/runtime/option_names.h"
#include "lib/train/optimizer.h"

namespace attn::train {

torch::Tensor Loss(const torch::Tensor& logits, const torch::Tensor& targets) {
  return torch::nn::functional::cross_entropy(
      logits.to(torch::kFloat).reshape({-1, logits.size(-1)}), targets.reshape({-1}));
}

double EvaluateLoss(model::LanguageModel& model, const data::BatchStream& data,
                    int64_t max_batches, runtime::Precision precision, torch::Device device) {
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  const int64_t n = max_batches > 0 ? std::min(max_batches, data.NumBatches()) : data.NumBatches();
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const data::Batch batch = data.Get(i);
    runtime::AutocastScope autocast(precision, device);
    sum += Loss(model.Forward(batch.inputs.to(device)), batch.targets.to(device)).item<double>();
  }
  model.train(was_training);
  // Every batch has the same number of tokens, so the mean of batch means is the token mean.
  return sum / static_cast<double>(n);
}

double AccumulateGradients(model::LanguageModel& model,
                           const std::vector<data::Batch>& micro_batches,
                           runtime::Precision precision, torch::Device device) {
  const double n = static_cast<double>(micro_batches.size());
  double sum = 0;
  for (const data::Batch& batch : micro_batches) {
    torch::Tensor loss;
    {
      runtime::AutocastScope autocast(precision, device);
      loss = Loss(model.Forward(batch.inputs.to(device)), batch.targets.to(device));
    }
    (loss / n).backward();
    sum += loss.item<double>();
  }
  return sum / n;
}

absl::StatusOr<double> TrainStep(model::LanguageModel& model, torch::optim::AdamW& optimizer,
                                 const std::vector<torch::Tensor>& parameters,
                                 const std::vector<data::Batch>& micro_batches,
                                 const StepSettings& settings) {
  SetLearningRate(optimizer, settings.lr);
  optimizer.zero_grad();
  const double loss = AccumulateGradients(model, micro_batches, settings.precision, settings.device);
  if (!std::isfinite(loss)) {
    return absl::InternalError(
        absl::StrCat("training diverged: loss ", loss, "; lower ", runtime::Opt("lr")));
  }
  if (settings.after_gradients) {
    if (absl::Status s = settings.after_gradients(); !s.ok()) return s;
  }
  ClipGradNorm(parameters, settings.clip_norm);
  optimizer.step();
  return loss;
}

}  // namespace attn::train
