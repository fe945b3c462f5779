#include "lib/analysis/head_metrics_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "lib/analysis/head_metrics.h"
#include "lib/analysis/outputs.h"
#include "lib/io/atomic_file.h"
#include "lib/io/csv.h"
#include "lib/runtime/option_names.h"
#include "lib/runtime/progress.h"

namespace attn::analysis {
namespace {

// The windows of a token file that the records of a dump cover, read as they are needed.
class TokenWindows {
 public:
  static absl::StatusOr<std::unique_ptr<TokenWindows>> Open(const std::string& path,
                                                            int64_t offset) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      const std::string why = fd < 0 ? std::strerror(errno) : "not a regular file";
      if (fd >= 0) ::close(fd);
      return absl::NotFoundError(absl::StrCat("cannot read tokens ", path, ": ", why));
    }
    return std::unique_ptr<TokenWindows>(new TokenWindows(path, fd, st.st_size, offset));
  }
  ~TokenWindows() { ::close(fd_); }

  absl::StatusOr<std::string> Window(int64_t record, int64_t length) const {
    // Record r needs bytes [offset + r L, offset + (r + 1) L), checked without overflow.
    if (offset_ > size_ || (size_ - offset_) / length < record + 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          "tokens ", path_, " has ", size_, " bytes, too few for record ", record, " (window ",
          record, " of ", length, " bytes from offset ", offset_,
          "); give the token file and offset the attention was dumped from"));
    }
    std::string window(static_cast<size_t>(length), '\0');
    const off_t at = static_cast<off_t>(offset_ + record * length);
    for (size_t got = 0; got < window.size();) {
      const ssize_t n = ::pread(fd_, window.data() + got, window.size() - got, at + got);
      if (n <= 0) {
        return absl::DataLossError(absl::StrCat("cannot read tokens ", path_, ": ",
                                                n < 0 ? std::strerror(errno) : "file shrank"));
      }
      got += static_cast<size_t>(n);
    }
    return window;
  }

 private:
  TokenWindows(std::string path, int fd, int64_t size, int64_t offset)
      : path_(std::move(path)), fd_(fd), size_(size), offset_(offset) {}
  std::string path_;
  int fd_;
  int64_t size_, offset_;
};

absl::Status CheckOptions(const HeadMetricsOptions& o) {
  if (!(o.threshold > 0) || !std::isfinite(o.threshold)) {
    return absl::InvalidArgumentError(
        absl::StrCat(runtime::Opt("threshold"), "=", o.threshold, " must be a positive number"));
  }
  if (o.threads < 1) {
    return absl::InvalidArgumentError(absl::StrCat(runtime::Opt("threads"), "=", o.threads, " must be >= 1"));
  }
  if (o.offset < 0) {
    return absl::InvalidArgumentError(absl::StrCat(runtime::Opt("offset"), "=", o.offset, " must be >= 0"));
  }
  if (o.offset != 0 && o.tokens.empty()) {
    return absl::InvalidArgumentError(runtime::Opt("offset") + " is only used with " + runtime::Opt("tokens") +
                                      "; give the token file");
  }
  if (o.tokens == "-") {
    return absl::InvalidArgumentError(runtime::Opt("tokens") +
                                      " must be a file (read at each record's window), not stdin");
  }
  return absl::OkStatus();
}

std::string MetricList(const HeadMetricsOptions& o) {
  std::string text;
  for (const HeadMetric* m : SelectHeadMetrics(!o.tokens.empty())) {
    absl::StrAppend(&text, m->name, "\t", MetricUnit(*m, o.threshold), "\t", m->definition, "\n");
  }
  return text;
}

}  // namespace

absl::Status RunHeadMetrics(const HeadMetricsOptions& options) {
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  absl::StatusOr<Outputs> outputs = Outputs::Open(
      {{"output", options.output}, {"profiles", options.list_metrics ? "" : options.profiles}});
  if (!outputs.ok()) return outputs.status();
  if (options.list_metrics) return outputs->Commit({MetricList(options), ""});
  std::unique_ptr<TokenWindows> tokens;
  MeasureOptions measure;
  measure.threshold = options.threshold;
  measure.threads = options.threads;
  measure.profiles = !options.profiles.empty();
  if (!options.tokens.empty()) {
    absl::StatusOr<std::unique_ptr<TokenWindows>> t = TokenWindows::Open(options.tokens, options.offset);
    if (!t.ok()) return t.status();
    tokens = *std::move(t);
    measure.token_window = [&tokens](int64_t record, int64_t length) {
      return tokens->Window(record, length);
    };
  }
  absl::StatusOr<FILE*> file = io::OpenForReading(options.input);
  if (!file.ok()) return file.status();
  io::NpyStreamReader reader(*file, options.input == "-" ? "stdin" : options.input);
  runtime::Progress progress("head_metrics", 0, "B");
  measure.progress = &progress;
  int64_t records = 0;
  absl::StatusOr<std::vector<HeadMetrics>> heads = ComputeHeadMetrics(&reader, measure, &records);
  if (*file != stdin) std::fclose(*file);
  if (!heads.ok()) return heads.status();
  if (absl::Status s = outputs->Commit({io::FormatTable(HeadMetricsTable(*heads, tokens != nullptr)),
                                       measure.profiles ? io::FormatTable(ProfileTable(*heads)) : std::string()});
      !s.ok()) {
    return s;
  }
  // After the outputs are committed, so that a failed run's only line is its error.
  progress.Finish(absl::StrCat(records, " sequences, ", heads->size(), " heads"));
  return absl::OkStatus();
}

}  // namespace attn::analysis
