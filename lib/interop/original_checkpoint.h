// The original's PyTorch checkpoints as our models. Its training script saves
// torch.save({'model_state_dict': ..., 'train_losses': [...], 'val_losses': [...],
// 'config': {...}, 'seed': 42}); a bare torch.save(model.state_dict()) is read too.
#ifndef ATTN_LIB_INTEROP_ORIGINAL_CHECKPOINT_H_
#define ATTN_LIB_INTEROP_ORIGINAL_CHECKPOINT_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/interop/original_config.h"
#include "lib/model/language_model.h"

namespace attn::interop {

struct ImportedCheckpoint {
  std::shared_ptr<model::LanguageModel> model;  // holding the file's weights, in training mode
  // For SaveCheckpoint: "seq_len" (OriginalModel::seq_len) and what the file held beside
  // the weights: "seed", "train_losses" and "val_losses" (JSON arrays, nats per byte, one
  // per epoch) and "original_config" (the config dict as a JSON object).
  std::map<std::string, std::string> metadata;
  std::vector<std::string> notes;  // what was assumed, converted or ignored, for the log
};

// Reads the torch.save file image `bytes` (torch_save_reader.h), finds the state_dict and
// builds the model it fits (original_config.h), then copies the weights strictly: a
// missing, unexpected or misshapen tensor, a tied output weight that differs from the
// embedding, a non-float or non-finite tensor, each is an error naming the tensors.
// float16, bfloat16 and float64 tensors are converted to float32 (exactly, exactly, and
// rounded to nearest), with a note. Never throws; every error starts with `source`. Bad
// options are InvalidArgument; an unreadable or unfitting file is DataLoss or
// FailedPrecondition. With the reader, the entry point for fuzzing.
absl::StatusOr<ImportedCheckpoint> ImportOriginalCheckpoint(std::string_view bytes, const std::string& source,
                                                            const OriginalModelOptions& options);

}  // namespace attn::interop

#endif  // ATTN_LIB_INTEROP_ORIGINAL_CHECKPOINT_H_
