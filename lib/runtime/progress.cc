#include "lib/runtime/progress.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace attn::runtime {
namespace {

bool StdoutIsPipe() {
  struct stat st;
  return fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode);
}

}  // namespace

bool Progress::DrawsLiveBar(bool stderr_is_terminal, bool stdout_is_pipe, const char* makeflags) {
  if (!stderr_is_terminal || stdout_is_pipe) return false;
  if (makeflags == nullptr) return true;
  for (absl::string_view word : absl::StrSplit(makeflags, ' ', absl::SkipEmpty())) {
    if (absl::StartsWith(word, "--jobserver") || absl::StartsWith(word, "-j")) return false;
  }
  return true;
}

Progress::Progress(std::string label, int64_t total, std::string unit, double line_interval_s,
                   FILE* out)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      line_interval_s_(line_interval_s),
      out_(out != nullptr ? out : stderr),
      live_bar_(out == nullptr &&
                DrawsLiveBar(isatty(STDERR_FILENO) != 0, StdoutIsPipe(), std::getenv("MAKEFLAGS"))),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

Progress::~Progress() {
  if (live_bar_ && !finished_) std::fputc('\n', out_);
}

double Progress::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::SetAlreadyDone(int64_t done) {
  already_done_ = done;
  done_ = std::max(done_, done);
}

double Progress::eta_s() const {
  const int64_t done_now = done_ - already_done_;
  if (total_ <= 0 || done_now <= 0) return -1;
  return elapsed_s() * static_cast<double>(total_ - done_) / static_cast<double>(done_now);
}

std::string Progress::FormatBytes(double bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (std::fabs(bytes) >= 1000 && u < 4) {
    bytes /= 1000;
    ++u;
  }
  return u == 0 ? absl::StrFormat("%.0f B", bytes) : absl::StrFormat("%.1f %s", bytes, units[u]);
}

std::string Progress::FormatDuration(double seconds) {
  if (seconds < 0 || !std::isfinite(seconds)) return "?";
  const int64_t s = static_cast<int64_t>(std::llround(seconds));
  if (s >= 3600) return absl::StrFormat("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  return absl::StrFormat("%d:%02d", s / 60, s % 60);
}

std::string Progress::FormatRate(double per_second) {
  if (per_second >= 100) return absl::StrFormat("%.0f", per_second);
  if (per_second >= 10) return absl::StrFormat("%.1f", per_second);
  return absl::StrFormat("%.2f", per_second);
}

std::string Progress::Line(const std::string& detail) const {
  const double elapsed = elapsed_s();
  const bool bytes = unit_ == "B";
  auto amount = [&](int64_t n) {
    if (bytes) return FormatBytes(static_cast<double>(n));
    return unit_.empty() ? absl::StrCat(n) : absl::StrCat(n, " ", unit_);
  };
  std::string line = label_ + ": ";
  if (total_ > 0) {
    const double frac = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
    if (live_bar_) {
      constexpr int kWidth = 24;
      const int filled = static_cast<int>(frac * kWidth);
      line += "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] ";
    }
    line += absl::StrFormat("%5.1f%% %s/%s", 100 * frac, amount(done_), amount(total_));
  } else {
    line += amount(done_);
  }
  const int64_t done_now = done_ - already_done_;
  if (elapsed > 0 && done_now > 0) {
    const double rate = static_cast<double>(done_now) / elapsed;
    if (bytes) {
      line += ", " + FormatBytes(rate) + "/s";
    } else {
      line += ", " + FormatRate(rate) + (unit_.empty() ? "/s" : " " + unit_ + "/s");
    }
  }
  line += ", " + FormatDuration(elapsed);
  if (!finished_ && eta_s() >= 0) line += ", ETA " + FormatDuration(eta_s());
  if (!detail.empty()) line += ", " + detail;
  return line;
}

void Progress::Update(int64_t done, const std::string& detail, bool now) {
  done_ = done;
  const auto time = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(time - last_print_).count();
  if (!now && since < (live_bar_ ? 0.1 : line_interval_s_)) return;
  last_print_ = time;
  if (live_bar_) {
    std::fprintf(out_, "\r\033[K%s", Line(detail).c_str());
  } else {
    std::fprintf(out_, "%s\n", Line(detail).c_str());
  }
  std::fflush(out_);
}

void Progress::Finish(const std::string& detail) {
  if (finished_) return;
  finished_ = true;
  std::fprintf(out_, live_bar_ ? "\r\033[K%s\n" : "%s\n", Line(detail).c_str());
  std::fflush(out_);
}

}  // namespace attn::runtime
