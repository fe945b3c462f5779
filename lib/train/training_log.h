// The training log of docs/design.md ("Formats between tools"): a TSV file with the header
// step, epoch, split, loss (nats), bpc, lr, tokens_per_s, elapsed_s.
#ifndef ATTN_LIB_TRAIN_TRAINING_LOG_H_
#define ATTN_LIB_TRAIN_TRAINING_LOG_H_

#include <cstdint>
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

// The log of a run, committed together with the run's other files: rows collect in
// memory, and Commit() replaces the file whole (atomically) with all rows so far, at the
// points where the run also saves its checkpoint and resume state.
class TrainingLog {
 public:
  // The log at `path` ("" logs nowhere). A fresh run starts with the header alone. A
  // resumed run keeps the rows of the old file up to `keep_through_step` (those written
  // before the resume state it continues from), so a killed run leaves no duplicate rows.
  // Nothing is written before the first Commit(). An old log that exists but cannot be
  // read is an error.
  static absl::StatusOr<TrainingLog> Open(const std::string& path, bool resume,
                                          int64_t keep_through_step);

  void Append(const LogRow& row);
  absl::Status Commit();

 private:
  TrainingLog(std::string path, std::string text) : path_(std::move(path)), text_(std::move(text)) {}
  std::string path_;
  std::string text_;  // the header and every row
};

}  // namespace attn::train

#endif  // ATTN_LIB_TRAIN_TRAINING_LOG_H_
