#include "lib/model/training_metadata.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace attn::model {

absl::StatusOr<int64_t> TrainedSeqLen(const std::string& path,
                                      const std::map<std::string, std::string>& metadata) {
  auto it = metadata.find("seq_len");
  if (it == metadata.end()) return 0;
  int64_t seq_len = 0;
  if (!absl::SimpleAtoi(it->second, &seq_len) || seq_len < 1) {
    return absl::DataLossError(absl::StrCat(path, ": its metadata seq_len='", it->second,
                                            "' is not a positive integer; the checkpoint is corrupt"));
  }
  return seq_len;
}

}  // namespace attn::model
