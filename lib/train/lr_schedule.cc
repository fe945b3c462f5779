#include "lib/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace attn::train {

double LrSchedule::LrAt(int64_t step) const {
  if (step <= warmup_steps) {
    return peak_lr * static_cast<double>(step) / static_cast<double>(warmup_steps);
  }
  const double m = min_lr / peak_lr;
  const double span = static_cast<double>(std::max<int64_t>(1, total_steps - warmup_steps));
  const double progress = std::clamp((step - warmup_steps) / span, 0.0, 1.0);
  return peak_lr * (m + (1.0 - m) * (1.0 + std::cos(M_PI * progress)) / 2.0);
}

}  // namespace attn::train
