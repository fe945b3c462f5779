// Model checkpoints as safetensors (DESIGN.md section 3): every state_dict key of the
// Python original (tied weights under both names), and "__metadata__" holding "kind",
// the model config and the caller's training state. Loading is strict and loud.
#ifndef ATTN_LIB_MODEL_CHECKPOINT_H_
#define ATTN_LIB_MODEL_CHECKPOINT_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/model/language_model.h"

namespace attn::model {

// The Python state_dict of `model`: parameters and persistent buffers by name, plus the
// tied output weight under its own name (the same tensor as the embedding).
std::vector<std::pair<std::string, torch::Tensor>> StateDict(LanguageModel& model);

// Writes the state dict as float32 with metadata {"kind", config..., extra...}, atomically.
// An extra key that collides with "kind" or a config key is an InvalidArgument error.
absl::Status SaveCheckpoint(const std::string& path, LanguageModel& model,
                            const std::map<std::string, std::string>& extra_metadata);

struct LoadedCheckpoint {
  std::shared_ptr<LanguageModel> model;        // rebuilt from the metadata config, in training mode
  std::map<std::string, std::string> metadata;  // everything in "__metadata__", kind and config included
};

// Rebuilds the model the checkpoint describes and loads its weights. Strict: a missing or
// extra tensor, a shape or dtype mismatch, tied copies that differ, a kind other than
// `expected_kind` (when not empty), a bad config, a truncated or corrupt file: each an
// error that names the file.
absl::StatusOr<LoadedCheckpoint> LoadCheckpoint(const std::string& path, const std::string& expected_kind = "");

// Loads a checkpoint's weights into an existing `model` (same kind and configuration),
// with the same strictness; returns the metadata. For restoring best weights or resuming.
absl::StatusOr<std::map<std::string, std::string>> LoadCheckpointInto(const std::string& path,
                                                                       LanguageModel& model);

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_CHECKPOINT_H_
