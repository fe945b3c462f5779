// The learning-rate schedule of docs/design.md ("Training"): linear warmup, then cosine decay to a
// floor.
#ifndef ATTN_LIB_TRAIN_LR_SCHEDULE_H_
#define ATTN_LIB_TRAIN_LR_SCHEDULE_H_

#include <cstdint>

namespace attn::train {

struct LrSchedule {
  double peak_lr = 1e-4;
  double min_lr = 1e-9;  // the floor: factor m = min_lr / peak_lr (1e-5 in the original)
  int64_t warmup_steps = 1000;
  int64_t total_steps = 1;

  // Learning rate of optimizer step `step` (1-based). Steps 1..warmup ramp linearly to
  // peak_lr (step / warmup); after that factor = m + (1 - m)(1 + cos(pi * progress)) / 2
  // with progress = (step - warmup) / (total - warmup), clamped to [0, 1].
  double LrAt(int64_t step) const;
};

}  // namespace attn::train

#endif  // ATTN_LIB_TRAIN_LR_SCHEDULE_H_
