// Model checkpoints as safetensors (docs/design.md, "Formats between tools"): every state_dict
// key of the Python original (tied weights under both names), and "__metadata__" holding
// "kind", the model config and the caller's training state. Loading is strict and loud, and a
// file is checked before it is trusted: the metadata with checked parsers and size limits, the
// tensors against the names and shapes the configuration implies, and every weight finite,
// all before a model is built.
#ifndef ATTN_LIB_MODEL_CHECKPOINT_H_
#define ATTN_LIB_MODEL_CHECKPOINT_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/io/safetensors.h"
#include "lib/model/language_model.h"
#include "lib/model/model_kind.h"

namespace attn::model {

// The Python state_dict of `model`: parameters and persistent buffers by name, plus each
// tied alias under its own name (the same tensor as its source).
std::vector<std::pair<std::string, torch::Tensor>> StateDict(LanguageModel& model);

// Writes the state dict as float32 with metadata {"kind", config..., extra...}, atomically.
// An extra key that is "kind" or any configuration key of the model's kind is an
// InvalidArgument error.
absl::Status SaveCheckpoint(const std::string& path, LanguageModel& model,
                            const std::map<std::string, std::string>& extra_metadata);

// The training state a checkpoint records (lib/train writes these keys), checked when loaded:
// a malformed or out-of-range value is an error. 0 where the key is absent.
struct CheckpointTraining {
  int64_t seq_len = 0;   // the window it was trained on (at most the model's max_len)
  int64_t step = 0;      // optimizer steps
  double epoch = 0;
  double valid_loss = 0;  // nats
  double valid_bpc = 0;   // bits per byte
};

struct LoadedCheckpoint {
  std::shared_ptr<LanguageModel> model;        // rebuilt from the metadata config, in training mode
  std::map<std::string, std::string> metadata;  // everything in "__metadata__", kind and config included
  CheckpointTraining training;
  ModelSpec spec;                               // the configuration the model was built from
};

// Rebuilds the model the checkpoint describes and loads its weights. Strict: a missing or
// extra tensor, a shape or dtype mismatch, tied copies that differ, non-finite weights, a kind
// other than `expected_kind` (when not empty), a bad config, a truncated or corrupt file: each
// an error that names the file. Leaves torch's CPU random generator as it found it.
absl::StatusOr<LoadedCheckpoint> LoadCheckpoint(const std::string& path, const std::string& expected_kind = "");
// The same, from a file already read; `source` names it in errors.
absl::StatusOr<LoadedCheckpoint> LoadCheckpointFrom(const io::Safetensors& file, const std::string& source,
                                                    const std::string& expected_kind = "");

// Every check LoadCheckpoint makes before it builds a model, on a file image: the container,
// the kind and configuration, the training state, the tensors the configuration implies,
// tied copies and finite weights. Allocates nothing beyond the parsed image, so it is safe on
// arbitrary bytes (a fuzz target's entry). Errors start with `source`.
absl::Status CheckCheckpointImage(std::string_view bytes, const std::string& source);

// Loads a checkpoint's weights into an existing `model` (same kind and configuration),
// with the same strictness; returns the metadata. For restoring best weights or resuming.
absl::StatusOr<std::map<std::string, std::string>> LoadCheckpointInto(const std::string& path,
                                                                       LanguageModel& model);

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_CHECKPOINT_H_
