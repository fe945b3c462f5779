// Which of the original's models a state_dict belongs to, and its configuration, from the
// key names and tensor shapes (docs/design.md, "the models"), cross-checked against the
// config dict its training script saved beside it. The number of heads is the one thing
// no shape records: it comes from that config or from the caller.
#ifndef ATTN_LIB_INTEROP_ORIGINAL_CONFIG_H_
#define ATTN_LIB_INTEROP_ORIGINAL_CONFIG_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/model/language_model.h"
#include "torch/torch.h"

namespace attn::interop {

using TensorsByName = std::map<std::string, at::Tensor>;
using ConfigByName = std::map<std::string, c10::IValue>;

struct OriginalModelOptions {
  std::string kind;     // "dense" or "sparse"; "" infers it from the key names
  int64_t heads = 0;    // 0: the config's nhead
  int64_t seq_len = 0;  // the training window to record; 0: see OriginalModel::seq_len
};

struct OriginalModel {
  // Freshly initialised, in training mode, shaped to receive the state_dict.
  std::shared_ptr<model::LanguageModel> model;
  // The window the model was trained on: options.seq_len, else the sparse config's
  // seq_length (its positional table), else the original's recipe, 1024, capped at the
  // dense model's positional table.
  int64_t seq_len = 0;
  std::vector<std::string> notes;  // what was assumed, for the log
};

// Errors name the key or config entry at fault. Bad options are InvalidArgument; a state
// that fits neither model, or disagrees with its config or the options, is
// FailedPrecondition.
absl::StatusOr<OriginalModel> MakeOriginalModel(const TensorsByName& state, const ConfigByName& config,
                                                const OriginalModelOptions& options);

}  // namespace attn::interop

#endif  // ATTN_LIB_INTEROP_ORIGINAL_CONFIG_H_
