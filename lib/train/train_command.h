// The training tools (train_dense, train_sparse): one run from a TrainSpec and a model.
#ifndef ATTN_LIB_TRAIN_TRAIN_COMMAND_H_
#define ATTN_LIB_TRAIN_TRAIN_COMMAND_H_

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/dist/dist_config.h"
#include "lib/model/language_model.h"
#include "lib/train/train_spec.h"
#include "lib/train/trainer.h"

namespace attn::train {

struct TrainOptions {
  TrainSpec spec;
  // Builds the model to train; RunTrain seeds LibTorch's generator with spec.seed first.
  std::function<absl::StatusOr<std::shared_ptr<model::LanguageModel>>()> make_model;
  dist::DistConfig dist;  // a world of one unless the job is data parallel
  // Runs after the gradients of each step (tests and benchmarks); may be null.
  std::function<absl::Status()> after_gradients;
};

// Validates the spec; refuses to start over a run already in spec.output (its
// checkpoint or resume state) unless spec.resume or spec.overwrite says what to do with
// it; joins the data-parallel job; builds the model; trains with model::SaveCheckpoint
// for the best weights; and reports the summary on stderr (rank 0). A failed run that
// started afresh removes the files it wrote; a failed resumed run keeps its files as they
// were at its last save point, ready to resume again.
absl::Status RunTrain(const TrainOptions& options);

}  // namespace attn::train

#endif  // ATTN_LIB_TRAIN_TRAIN_COMMAND_H_
