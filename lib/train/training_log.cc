#include "lib/train/training_log.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "lib/io/atomic_file.h"

namespace attn::train {

double Bpc(double loss_nats) { return loss_nats / std::log(2.0); }

absl::StatusOr<TrainingLog> TrainingLog::Open(const std::string& path, bool resume,
                                              int64_t keep_through_step) {
  if (path.empty()) return TrainingLog("", nullptr);
  std::string kept = absl::StrCat(kTrainingLogHeader, "\n");
  if (resume) {
    absl::StatusOr<std::string> old = io::ReadFile(path);
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
  // The kept rows replace the old file whole; later rows are appended one by one.
  if (absl::Status s = io::WriteFileAtomically(path, kept); !s.ok()) return s;
  FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) {
    return absl::UnavailableError(
        absl::StrCat(path, ": cannot append to the training log: ", std::strerror(errno)));
  }
  return TrainingLog(path, file);
}

TrainingLog::TrainingLog(TrainingLog&& other) noexcept
    : path_(std::move(other.path_)), file_(std::exchange(other.file_, nullptr)) {}

TrainingLog& TrainingLog::operator=(TrainingLog&& other) noexcept {
  if (this != &other) {
    if (file_ != nullptr) std::fclose(file_);
    path_ = std::move(other.path_);
    file_ = std::exchange(other.file_, nullptr);
  }
  return *this;
}

TrainingLog::~TrainingLog() {
  if (file_ != nullptr) std::fclose(file_);
}

absl::Status TrainingLog::Append(const LogRow& row) {
  if (file_ == nullptr) return absl::OkStatus();
  const std::string line = absl::StrFormat(
      "%d\t%.4f\t%s\t%.6f\t%.6f\t%.6g\t%.1f\t%.3f\n", row.step, row.epoch, row.split, row.loss,
      Bpc(row.loss), row.lr, row.tokens_per_s, row.elapsed_s);
  if (std::fputs(line.c_str(), file_) < 0 || std::fflush(file_) != 0) {
    return absl::UnavailableError(
        absl::StrCat(path_, ": cannot write the training log: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace attn::train
