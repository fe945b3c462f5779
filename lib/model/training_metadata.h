// What the training tools record in a checkpoint's metadata besides the model config
// (the recipe, lib/train/train_spec.h), read back with checked parsers.
#ifndef ATTN_LIB_MODEL_TRAINING_METADATA_H_
#define ATTN_LIB_MODEL_TRAINING_METADATA_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace attn::model {

// The window the model was trained on ("seq_len"), or 0 when the checkpoint records none
// (an imported one). A value that is not a positive integer is DataLoss naming `path`.
absl::StatusOr<int64_t> TrainedSeqLen(const std::string& path,
                                      const std::map<std::string, std::string>& metadata);

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_TRAINING_METADATA_H_
