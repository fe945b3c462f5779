// Progress of long work on stderr: a live bar on a terminal, periodic lines otherwise.
#ifndef ATTN_LIB_RUNTIME_PROGRESS_H_
#define ATTN_LIB_RUNTIME_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace attn::runtime {

class Progress {
 public:
  // `total` <= 0 means unknown. `unit` names what is counted ("B" formats as bytes).
  // On a terminal the bar redraws at most every 0.1 s; elsewhere a line every
  // `line_interval_s` seconds. `out` defaults to stderr (tests pass their own stream).
  Progress(std::string label, int64_t total, std::string unit = "",
           double line_interval_s = 10.0, FILE* out = nullptr);
  ~Progress();

  // Reports `done` units and an optional free-form detail ("loss 1.23 bpc 1.77").
  void Update(int64_t done, const std::string& detail = "");
  // The final line, always printed.
  void Finish(const std::string& detail = "");

  double elapsed_s() const;
  // Seconds left at the current rate, or a negative value when unknown.
  double eta_s() const;

  // "1.5 MB", "2.0 GB"; and "1:02:03" style durations.
  static std::string FormatBytes(double bytes);
  static std::string FormatDuration(double seconds);

 private:
  std::string Line(const std::string& detail) const;

  std::string label_;
  int64_t total_;
  std::string unit_;
  double line_interval_s_;
  FILE* out_;
  bool terminal_;
  int64_t done_ = 0;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

}  // namespace attn::runtime

#endif  // ATTN_LIB_RUNTIME_PROGRESS_H_
