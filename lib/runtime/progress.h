// Progress of long work on stderr: a live bar on a terminal, periodic lines otherwise.
//
// Which tool draws a live bar: only one that writes to a terminal (stderr is a tty), is
// the last stage of a pipeline (its stdout is not a pipe) and is not one of several jobs
// of a parallel make (MAKEFLAGS names a jobserver or -j). The others print a line every
// 10 s. So in `dump_attention | head_metrics > m.csv` only head_metrics redraws its line,
// and `make -j2 demo` interleaves whole lines, each starting with its tool's name.
#ifndef ATTN_LIB_RUNTIME_PROGRESS_H_
#define ATTN_LIB_RUNTIME_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace attn::runtime {

class Progress {
 public:
  // `total` <= 0 means unknown. `unit` names what is counted ("B" formats as bytes,
  // "steps" as "47 steps", "7.2 steps/s"). With a live bar it redraws at most every
  // 0.1 s; otherwise a line every `line_interval_s` seconds. `out` defaults to stderr
  // (tests pass their own stream, never a live bar).
  Progress(std::string label, int64_t total, std::string unit = "",
           double line_interval_s = 10.0, FILE* out = nullptr);
  ~Progress();

  // The units already done before this run (a resumed job): they count towards the
  // percentage, not towards the rate or the ETA.
  void SetAlreadyDone(int64_t done);

  // Reports `done` units and an optional free-form detail ("loss 1.23 bpc 1.77"); with
  // `now`, prints it at once (a result worth seeing as it happens, such as a validation).
  void Update(int64_t done, const std::string& detail = "", bool now = false);
  // The final line, always printed.
  void Finish(const std::string& detail = "");

  double elapsed_s() const;
  // Seconds left at the current rate, or a negative value when unknown.
  double eta_s() const;

  // "1.5 MB", "2.0 GB"; "1:02:03" style durations; "2010", "47.3", "7.21" rates.
  static std::string FormatBytes(double bytes);
  static std::string FormatDuration(double seconds);
  static std::string FormatRate(double per_second);

  // The rule above, as a function of the facts it depends on.
  static bool DrawsLiveBar(bool stderr_is_terminal, bool stdout_is_pipe, const char* makeflags);

 private:
  std::string Line(const std::string& detail) const;

  std::string label_;
  int64_t total_;
  std::string unit_;
  double line_interval_s_;
  FILE* out_;
  bool live_bar_;
  int64_t done_ = 0;
  int64_t already_done_ = 0;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

}  // namespace attn::runtime

#endif  // ATTN_LIB_RUNTIME_PROGRESS_H_
