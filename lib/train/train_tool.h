// What train_dense and train_sparse share: the recipe flags (with --preset=paper, the
// original's full configuration, under any explicitly given flag) and the run itself.
#ifndef ATTN_LIB_TRAIN_TRAIN_TOOL_H_
#define ATTN_LIB_TRAIN_TRAIN_TOOL_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "lib/model/language_model.h"
#include "lib/train/trainer.h"

namespace attn::train {

// The model size flags (--d_model --heads --layers --ff --dropout).
struct ModelSizeFlags {
  int64_t d_model, heads, layers, ff;
  double dropout;
};

// Applies --preset to the flags the user left at their defaults, then reads the recipe
// and model size. A bad flag value is an InvalidArgument error naming the flag.
absl::StatusOr<TrainOptions> TrainOptionsFromFlags();
ModelSizeFlags ModelSizeFromFlags();

// Trains `model` with `options`, saving the best checkpoint with model::SaveCheckpoint,
// and prints the summary (with the peak resident memory) on stderr. Returns the exit code.
int RunTraining(model::LanguageModel& model, const TrainOptions& options);

}  // namespace attn::train

#endif  // ATTN_LIB_TRAIN_TRAIN_TOOL_H_
