// The training log of DESIGN.md section 3: a TSV file with the header
// step, epoch, split, loss (nats), bpc, lr, tokens_per_s, elapsed_s.
#ifndef ATTN_LIB_TRAIN_TRAINING_LOG_H_
#define ATTN_LIB_TRAIN_TRAINING_LOG_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace attn::train {

inline constexpr char kTrainingLogHeader[] =
    "step\tepoch\tsplit\tloss\tbpc\tlr\ttokens_per_s\telapsed_s";

// Bits per byte from a mean cross-entropy in nats.
double Bpc(double loss_nats);

struct LogRow {
  int64_t step = 0;
  double epoch = 0;   // epochs of training data consumed, fractional
  std::string split;  // "train" or "valid"
  double loss = 0;    // nats per token
  double lr = 0;
  double tokens_per_s = 0;
  double elapsed_s = 0;
};

class TrainingLog {
 public:
  // Opens `path` ("" logs nowhere). A fresh run starts the file with the header. A resumed
  // run keeps the rows up to `keep_through_step` (written before the resume state it
  // continues from) and appends after them, so a killed run leaves no duplicate rows.
  static absl::StatusOr<TrainingLog> Open(const std::string& path, bool resume,
                                          int64_t keep_through_step);
  TrainingLog(TrainingLog&& other) noexcept;
  TrainingLog& operator=(TrainingLog&& other) noexcept;
  TrainingLog(const TrainingLog&) = delete;
  ~TrainingLog();

  // Appends one row and flushes it, so the log can be plotted while training runs.
  absl::Status Append(const LogRow& row);

 private:
  TrainingLog(std::string path, FILE* file) : path_(std::move(path)), file_(file) {}
  std::string path_;
  FILE* file_ = nullptr;
};

}  // namespace attn::train

#endif  // ATTN_LIB_TRAIN_TRAINING_LOG_H_
