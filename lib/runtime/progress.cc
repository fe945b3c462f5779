#include "lib/runtime/progress.h"

#include <unistd.h>

#include <cmath>

#include "absl/strings/str_format.h"

namespace attn::runtime {

Progress::Progress(std::string label, int64_t total, std::string unit, double line_interval_s,
                   FILE* out)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      line_interval_s_(line_interval_s),
      out_(out != nullptr ? out : stderr),
      terminal_(isatty(fileno(out_)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

Progress::~Progress() {
  if (terminal_ && !finished_) std::fputc('\n', out_);
}

double Progress::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

double Progress::eta_s() const {
  if (total_ <= 0 || done_ <= 0) return -1;
  return elapsed_s() * static_cast<double>(total_ - done_) / static_cast<double>(done_);
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

std::string Progress::Line(const std::string& detail) const {
  const double elapsed = elapsed_s();
  const bool bytes = unit_ == "B";
  auto amount = [&](int64_t n) {
    return bytes ? FormatBytes(static_cast<double>(n)) : absl::StrFormat("%d%s", n, unit_);
  };
  std::string line = label_ + ": ";
  if (total_ > 0) {
    const double frac = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
    if (terminal_) {
      constexpr int kWidth = 24;
      const int filled = static_cast<int>(frac * kWidth);
      line += "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] ";
    }
    line += absl::StrFormat("%5.1f%% %s/%s", 100 * frac, amount(done_), amount(total_));
  } else {
    line += amount(done_);
  }
  if (elapsed > 0 && done_ > 0) {
    const double rate = static_cast<double>(done_) / elapsed;
    line += bytes ? ", " + FormatBytes(rate) + "/s" : absl::StrFormat(", %.3g%s/s", rate, unit_);
  }
  line += ", " + FormatDuration(elapsed);
  if (!finished_ && eta_s() >= 0) line += ", ETA " + FormatDuration(eta_s());
  if (!detail.empty()) line += ", " + detail;
  return line;
}

void Progress::Update(int64_t done, const std::string& detail) {
  done_ = done;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_print_).count();
  if (since < (terminal_ ? 0.1 : line_interval_s_)) return;
  last_print_ = now;
  if (terminal_) {
    std::fprintf(out_, "\r\033[K%s", Line(detail).c_str());
  } else {
    std::fprintf(out_, "%s\n", Line(detail).c_str());
  }
  std::fflush(out_);
}

void Progress::Finish(const std::string& detail) {
  if (finished_) return;
  finished_ = true;
  std::fprintf(out_, terminal_ ? "\r\033[K%s\n" : "%s\n", Line(detail).c_str());
  std::fflush(out_);
}

}  // namespace attn::runtime
