#include "lib/train/training_log.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "lib/io/atomic_file.h"

namespace attn::train {

double Bpc(double loss_nats) { return loss_nats / std::log(2.0); }

absl::StatusOr<TrainingLog> TrainingLog::Open(const std::string& path, bool resume,
                                              int64_t keep_through_step) {
  std::string kept = absl::StrCat(kTrainingLogHeader, "\n");
  if (resume && !path.empty()) {
    absl::StatusOr<std::string> old = io::ReadFile(path);
    if (!old.ok() && std::filesystem::exists(path)) return old.status();
    if (old.ok()) {
      for (absl::string_view line : absl::StrSplit(*old, '\n', absl::SkipEmpty())) {
        if (line == kTrainingLogHeader) continue;
        const std::string step(line.substr(0, line.find('\t')));
        if (std::strtoll(step.c_str(), nullptr, 10) <= keep_through_step) {
          absl::StrAppend(&kept, line, "\n");
        }
      }
    }
  }
  return TrainingLog(path, std::move(kept));
}

void TrainingLog::Append(const LogRow& row) {
  absl::StrAppendFormat(&text_, "%d\t%.4f\t%s\t%.6f\t%.6f\t%.6g\t%.1f\t%.3f\n", row.step, row.epoch,
                        row.split, row.loss, Bpc(row.loss), row.lr, row.tokens_per_s, row.elapsed_s);
}

absl::Status TrainingLog::Commit() {
  if (path_.empty()) return absl::OkStatus();
  return io::WriteFileAtomically(path_, text_);
}

}  // namespace attn::train
