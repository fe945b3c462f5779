// The window length a tool runs a checkpoint's model on (dump_attention, head_importance):
// the one asked for, else the length it was trained on, checked against the model.
#ifndef ATTN_LIB_MODEL_ANALYSIS_WINDOW_H_
#define ATTN_LIB_MODEL_ANALYSIS_WINDOW_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "lib/model/checkpoint.h"

namespace attn::model {

// When a checkpoint records no training window: the original's.
inline constexpr int64_t kDefaultAnalysisWindow = 1024;

// `seq_len` 0 takes the checkpoint's training seq_len, or kDefaultAnalysisWindow (at most the
// positional table) when none is recorded. A length beyond the positional table is
// OutOfRange; one longer than the trained length is a warning on stderr. `source` names the
// checkpoint in both.
absl::StatusOr<int64_t> AnalysisWindow(const LoadedCheckpoint& checkpoint, int64_t seq_len,
                                       const std::string& source);

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_ANALYSIS_WINDOW_H_
