// The training loop of docs/design.md ("Training") on any LanguageModel: AdamW with
// decay groups, warmup + cosine schedule, gradient accumulation, clipping, periodic
// validation, early stopping, the best weights kept, the TSV log, progress, and an exact
// resume state. At every save point (a validation, the end, a pause, checkpoint_every)
// the run's files are committed in this order: the checkpoint (when it improved), the log,
// the resume state; so whatever a kill leaves behind is consistent.
#ifndef ATTN_LIB_TRAIN_TRAINER_H_
#define ATTN_LIB_TRAIN_TRAINER_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/model/language_model.h"
#include "lib/train/train_spec.h"
#include "lib/train/train_summary.h"
#include "torch/torch.h"

namespace attn::train {

// This process's place in a data-parallel job. Rank r trains and validates on streams
// [r * B / W, (r + 1) * B / W) of the batch_size streams, so that the ranks together
// take the steps of one process with the whole batch. Only rank 0 writes files and
// progress.
struct RankInfo {
  int rank = 0;
  int world_size = 1;
};

struct TrainHooks {
  // Called once per optimizer step, after the gradients of all its micro-batches are
  // accumulated and before clipping: the seam for a data-parallel gradient all-reduce.
  std::function<absl::Status()> after_gradients;
  // Writes the best model to `path` (the tools pass model::SaveCheckpoint); null: none.
  std::function<absl::Status(const std::string& path, model::LanguageModel& model,
                             const std::map<std::string, std::string>& metadata)>
      save_checkpoint;
  // Data parallel (needed when world_size > 1); every rank calls them at the same points.
  // Sums each value over the ranks, in place (validation and training loss).
  std::function<absl::Status(std::vector<double>* values)> sum_across_ranks;
  // Every rank's tensor, in rank order (the random states of the resume state).
  std::function<absl::StatusOr<std::vector<torch::Tensor>>(const torch::Tensor&)> gather_across_ranks;
};

// Trains `model` (already initialised, or overwritten from the resume state when
// spec.resume) with a valid `spec` (TrainSpec::Validate). On return the model holds the
// best weights validated.
absl::StatusOr<TrainSummary> Train(model::LanguageModel& model, const TrainSpec& spec,
                                   const RankInfo& ranks, const TrainHooks& hooks);

}  // namespace attn::train

#endif  // ATTN_LIB_TRAIN_TRAINER_H_
