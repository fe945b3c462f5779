#include "lib/model/analysis_window.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lib/runtime/option_names.h"
#include "lib/runtime/tool.h"

namespace attn::model {

absl::StatusOr<int64_t> AnalysisWindow(const LoadedCheckpoint& checkpoint, int64_t seq_len,
                                       const std::string& source) {
  using runtime::Opt;
  const int64_t trained = checkpoint.training.seq_len;  // 0: not recorded
  const LanguageModel& model = *checkpoint.model;
  if (seq_len == 0) return trained > 0 ? trained : std::min(kDefaultAnalysisWindow, model.MaxSeqLen());
  if (seq_len > model.MaxSeqLen()) {
    return absl::OutOfRangeError(absl::StrCat(source, ": ", Opt("seq_len"), "=", seq_len, " is beyond this ",
                                              model.Kind(), " model's positional table (", model.MaxSeqLen(),
                                              " positions); use at most ", model.MaxSeqLen()));
  }
  if (trained > 0 && seq_len > trained) {
    runtime::Warn(absl::StrCat(Opt("seq_len"), "=", seq_len, " is longer than the ", trained, " bytes ", source,
                               " was trained on; the model never learnt the positions beyond them"));
  }
  return seq_len;
}

}  // namespace attn::model
