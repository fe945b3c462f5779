#include "lib/train/train_summary.h"

#include <sys/resource.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/runtime/option_names.h"
#include "lib/runtime/progress.h"
#include "lib/train/training_log.h"

namespace attn::train {

std::string FormatSummary(const TrainSummary& s) {
  std::string state;
  if (s.early_stopped) {
    state = ", stopped early";
  } else if (!s.finished) {
    state = absl::StrCat(", paused (continue with ", runtime::Opt("resume"), ")");
  }
  const std::string speed = s.steps_this_run > 0
                                ? absl::StrFormat("%.0f tokens/s", s.tokens_per_s)
                                : std::string("no step left to take in this run");
  return absl::StrFormat(
      "%d steps (%.2f epochs)%s in %s, best validation loss %.4f nats = %.4f bpc at step %d, "
      "%s, peak resident memory %s",
      s.steps, s.epochs, state, runtime::Progress::FormatDuration(s.elapsed_s), s.best_valid_loss,
      Bpc(s.best_valid_loss), s.best_step, speed, runtime::Progress::FormatBytes(s.peak_rss_bytes));
}

int64_t PeakRssBytes() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;  // Linux reports kilobytes
}

}  // namespace attn::train
