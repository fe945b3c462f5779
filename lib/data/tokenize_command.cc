#include "lib/data/tokenize_command.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/data/byte_corpus.h"
#include "lib/data/byte_stats.h"
#include "lib/data/splits.h"
#include "lib/data/token_codec.h"
#include "lib/io/atomic_file.h"
#include "lib/runtime/progress.h"

namespace attn::data {
namespace {

constexpr int64_t kWriteChunk = 4 << 20;

absl::Status CheckFlags(const TokenizeOptions& o) {
  if (o.output_prefix == "-") {
    return absl::InvalidArgumentError(
        "`output_prefix`=- is not allowed: it names files (PREFIX.train.u8, ...); "
        "leave it out to stream the input to stdout");
  }
  const bool split_mode = !o.output_prefix.empty() || o.stats;
  if (o.decode && split_mode) {
    return absl::InvalidArgumentError(
        "`decode` streams stdin/`input` to stdout; it does not combine with "
        "`output_prefix` or `stats`");
  }
  if (!split_mode && !o.splits.empty()) {
    return absl::InvalidArgumentError(
        "`splits` needs `output_prefix` (to write split files) or `stats`");
  }
  return absl::OkStatus();
}

std::string SourceName(const std::string& path) { return path == "-" ? "stdin" : path; }

absl::Status RunStream(const TokenizeOptions& options, TokenFormat format) {
  absl::StatusOr<FILE*> in = io::OpenForReading(options.input);
  if (!in.ok()) return in.status();
  absl::StatusOr<io::AtomicFile> out = io::AtomicFile::Open("-");
  absl::Status status = out.status();
  if (status.ok()) {
    const std::string source = SourceName(options.input);
    status = options.decode ? DecodeStream(*in, source, format, &*out)
                            : EncodeStream(*in, source, format, &*out);
  }
  if (*in != stdin) std::fclose(*in);
  return status;
}

absl::Status WriteSplits(const ByteCorpus& corpus, const std::vector<Split>& splits,
                         const std::string& prefix, TokenFormat format) {
  std::vector<io::AtomicFile> files;
  for (const Split& split : splits) {
    absl::StatusOr<io::AtomicFile> file =
        io::AtomicFile::Open(absl::StrCat(prefix, ".", split.name, ".", TokenFormatName(format)));
    if (!file.ok()) return file.status();
    files.push_back(*std::move(file));
  }
  runtime::Progress progress("tokenize " + SourceName(corpus.path()), corpus.size(), "B");
  std::string encoded;
  int64_t done = 0;
  for (size_t i = 0; i < splits.size(); ++i) {
    for (int64_t at = 0; at < splits[i].size; at += kWriteChunk) {
      const std::string_view chunk =
          corpus.bytes().substr(static_cast<size_t>(splits[i].offset + at),
                                static_cast<size_t>(std::min(kWriteChunk, splits[i].size - at)));
      encoded.clear();
      EncodeTokens(chunk, format, &encoded);
      if (absl::Status s = files[i].Write(encoded); !s.ok()) return s;
      done += static_cast<int64_t>(chunk.size());
      progress.Update(done);
    }
  }
  std::vector<std::string> written;
  for (size_t i = 0; i < files.size(); ++i) {
    if (absl::Status s = files[i].Commit(); !s.ok()) return s;
    written.push_back(
        absl::StrCat(files[i].path(), " ", runtime::Progress::FormatBytes(splits[i].size)));
  }
  progress.Finish("wrote " + absl::StrJoin(written, ", "));
  return absl::OkStatus();
}

absl::Status PrintStats(const ByteCorpus& corpus, const std::vector<Split>& splits, FILE* out) {
  std::vector<std::pair<std::string, ByteStats>> rows;
  ByteHistogram all;
  for (const Split& split : splits) {
    ByteHistogram histogram;
    histogram.Add(
        corpus.bytes().substr(static_cast<size_t>(split.offset), static_cast<size_t>(split.size)));
    all.Merge(histogram);
    rows.emplace_back(split.name, histogram.Stats());
  }
  rows.emplace_back("all", all.Stats());
  const std::string table = FormatStatsTable(rows);
  if (std::fwrite(table.data(), 1, table.size(), out) != table.size() || std::fflush(out) != 0) {
    if (errno == EPIPE) return absl::CancelledError("the reader of stdout went away");
    return absl::UnavailableError(absl::StrCat("cannot write the statistics to stdout: ",
                                               std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RunTokenize(const TokenizeOptions& options) {
  if (absl::Status s = CheckFlags(options); !s.ok()) return s;
  absl::StatusOr<TokenFormat> format = ParseTokenFormat(options.format);
  if (!format.ok()) return format.status();
  absl::StatusOr<SplitSpec> spec = ParseSplits(options.splits);
  if (!spec.ok()) return spec.status();
  if (options.output_prefix.empty() && !options.stats) return RunStream(options, *format);

  absl::StatusOr<ByteCorpus> corpus = ByteCorpus::Open(options.input);
  if (!corpus.ok()) return corpus.status();
  absl::StatusOr<std::vector<Split>> splits = ComputeSplits(*spec, corpus->size());
  if (!splits.ok()) {
    return absl::Status(splits.status().code(),
                        absl::StrCat(SourceName(options.input), ": ", splits.status().message()));
  }
  if (!options.output_prefix.empty()) {
    if (absl::Status s = WriteSplits(*corpus, *splits, options.output_prefix, *format); !s.ok()) {
      return s;
    }
  }
  if (options.stats) return PrintStats(*corpus, *splits, options.stats_out);
  return absl::OkStatus();
}

}  // namespace attn::data
