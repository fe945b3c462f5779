// What train_dense and train_sparse share: the flags of the files, the recipe and the
// run (with --preset=paper, the original's full configuration, under any explicitly given
// flag), the model size flags and the data-parallel flags, turned into TrainOptions.
#ifndef ATTN_TOOLS_TRAIN_FLAGS_H_
#define ATTN_TOOLS_TRAIN_FLAGS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "lib/model/head_patterns.h"
#include "lib/train/train_command.h"

namespace attn::tools {

// --d_model --heads --layers --ff.
struct ModelSize {
  int64_t d_model, heads, layers, ff;
};

// Applies --preset to the flags the user left at their defaults, then reads the spec and
// the data-parallel job (options.make_model is left to the tool). A bad value is an
// InvalidArgument naming the flag.
absl::StatusOr<train::TrainOptions> TrainOptionsFromFlags();

// The model size (after --preset: call TrainOptionsFromFlags first).
ModelSize ModelSizeFromFlags();

// The attention patterns of --patterns (a pattern file, docs/design.md "Pattern files") for a
// model of `size`; empty without the flag. A missing or bad file is a runtime error naming it.
absl::StatusOr<model::HeadPatterns> PatternsFromFlags(const ModelSize& size);

}  // namespace attn::tools

#endif  // ATTN_TOOLS_TRAIN_FLAGS_H_
