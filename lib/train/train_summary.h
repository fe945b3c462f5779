// What a training run reports when it ends.
#ifndef ATTN_LIB_TRAIN_TRAIN_SUMMARY_H_
#define ATTN_LIB_TRAIN_TRAIN_SUMMARY_H_

#include <cstdint>
#include <limits>
#include <string>

namespace attn::train {

struct TrainSummary {
  int64_t steps = 0;           // in all, earlier runs of a resumed job included
  int64_t steps_this_run = 0;
  double epochs = 0;
  double best_valid_loss = std::numeric_limits<double>::infinity();
  int64_t best_step = 0;
  bool early_stopped = false;
  bool finished = false;     // false when stop_after ended the run early
  double tokens_per_s = 0;   // this run's
  double elapsed_s = 0;      // all runs'
  int64_t peak_rss_bytes = 0;
};

// One line: steps, best validation loss and bpc, this run's tokens/s (none when it
// took no step), peak resident memory.
std::string FormatSummary(const TrainSummary& summary);

// Peak resident memory of this process so far (getrusage).
int64_t PeakRssBytes();

}  // namespace attn::train

#endif  // ATTN_LIB_TRAIN_TRAIN_SUMMARY_H_
