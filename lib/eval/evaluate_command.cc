#include "lib/eval/evaluate_command.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/data/byte_corpus.h"
#include "lib/eval/bits_per_byte.h"
#include "lib/io/atomic_file.h"
#include "lib/model/checkpoint.h"
#include "lib/runtime/cpu_features.h"
#include "lib/runtime/device.h"
#include "lib/runtime/option_checks.h"
#include "lib/runtime/option_names.h"
#include "lib/runtime/precision.h"
#include "lib/runtime/progress.h"
#include "lib/runtime/tool.h"

namespace attn::eval {
namespace {

absl::Status CheckOptions(const EvaluateOptions& o) {
  if (o.checkpoint.empty()) return absl::InvalidArgumentError(runtime::Opt("checkpoint") + " is required");
  if (o.tokens.empty()) {
    return absl::InvalidArgumentError(runtime::Opt("tokens") + " is required (a .u8 file, or - for stdin)");
  }
  for (auto [name, value, least] : {std::tuple<const char*, int64_t, int64_t>{"context", o.context, 0},
                                    {"stride", o.stride, 0}, {"batch_size", o.batch_size, 1},
                                    {"max_bytes", o.max_bytes, 0}}) {
    if (absl::Status s = runtime::CheckInteger(name, value, least); !s.ok()) return s;
  }
  if (o.max_bytes == 1) {
    return absl::InvalidArgumentError(runtime::Opt("max_bytes") + "=1 leaves no prediction; give at least 2");
  }
  return absl::OkStatus();
}

// The context the user asked for, or the window the model was trained on, within the
// positional table.
absl::StatusOr<int64_t> Context(const EvaluateOptions& o, const model::LoadedCheckpoint& checkpoint) {
  const model::LanguageModel& m = *checkpoint.model;
  int64_t trained = 0;
  if (auto it = checkpoint.metadata.find("seq_len"); it != checkpoint.metadata.end()) {
    if (!absl::SimpleAtoi(it->second, &trained) || trained < 1) {
      return absl::DataLossError(absl::StrCat(o.checkpoint, ": metadata seq_len \"", it->second,
                                              "\" is not a positive integer"));
    }
  }
  if (o.context > m.MaxSeqLen()) {
    return absl::FailedPreconditionError(absl::StrCat(runtime::Opt("context"), "=", o.context, " is longer than ", o.checkpoint,
                                                      "'s positional table (", m.MaxSeqLen(), " positions)"));
  }
  if (o.context > 0) {
    if (trained > 0 && o.context > trained) {
      runtime::Warn(absl::StrCat(runtime::Opt("context"), "=", o.context, " is beyond the training seq_len ", trained,
                                 ": the model never trained on those positions"));
    }
    return o.context;
  }
  if (trained == 0) {
    runtime::Report(absl::StrCat(o.checkpoint, " records no training seq_len; context ", m.MaxSeqLen(),
                                 ", its positional table"));
    return m.MaxSeqLen();
  }
  return std::min(trained, m.MaxSeqLen());
}

}  // namespace

absl::Status RunEvaluate(const EvaluateOptions& o) {
  if (absl::Status s = CheckOptions(o); !s.ok()) return s;
  absl::StatusOr<runtime::Precision> precision = runtime::ParsePrecision(o.precision);
  if (!precision.ok()) return precision.status();
  absl::StatusOr<torch::Device> device = runtime::ParseDevice(o.device);
  if (!device.ok()) return device.status();
  absl::StatusOr<model::LoadedCheckpoint> checkpoint = model::LoadCheckpoint(o.checkpoint);
  if (!checkpoint.ok()) return runtime::InputError(checkpoint.status());
  absl::StatusOr<int64_t> context = Context(o, *checkpoint);
  if (!context.ok()) return context.status();
  if (o.stride > *context) {
    return absl::InvalidArgumentError(absl::StrCat(runtime::Opt("stride"), "=", o.stride, " is longer than the context ", *context,
                                                   ": bytes between windows would not be scored"));
  }
  absl::StatusOr<data::ByteCorpus> corpus = data::ByteCorpus::Open(o.tokens);
  if (!corpus.ok()) return runtime::InputError(corpus.status());
  std::string_view tokens = corpus->bytes();
  if (o.max_bytes > 0 && static_cast<int64_t>(tokens.size()) > o.max_bytes) tokens = tokens.substr(0, o.max_bytes);
  if (tokens.size() < 2) {
    return absl::FailedPreconditionError(
        absl::StrCat(o.tokens, " holds 1 byte: the first byte has no context, so there is nothing to predict"));
  }
  absl::StatusOr<io::AtomicFile> out;
  if (!o.output.empty()) {
    out = io::AtomicFile::Open(o.output);
    if (!out.ok()) return out.status();
  }
  BitsPerByteOptions options;
  options.context = *context;
  options.stride = o.stride > 0 ? o.stride : *context;
  options.batch_size = o.batch_size;
  options.precision = *precision;
  options.device = *device;
  const auto start = std::chrono::steady_clock::now();
  if (const std::string note = runtime::AutoPrecisionNote(o.precision, runtime::DetectCpuFeatures());
      !note.empty()) {
    runtime::Report(note);
  }
  runtime::Progress progress("evaluate", static_cast<int64_t>(tokens.size()) - 1, "B");
  absl::StatusOr<BitsPerByte> result =
      MeasureBitsPerByte(*checkpoint->model, tokens, options, [&progress](const BitsPerByte& so_far) {
        progress.Update(so_far.bytes_scored, absl::StrFormat("%.4f bpc", so_far.bpc()));
      });
  if (!result.ok()) return result.status();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  progress.Finish(absl::StrFormat("%.4f bpc", result->bpc()));
  if (out.ok()) {
    const std::string tsv = absl::StrFormat("%s\n%s\t%s\t%.6f\t%.6f\t%d\t%d\t%d\t%s\t%.2f\n", kEvaluateHeader,
                                            o.checkpoint, o.tokens, result->bpc(), result->nats_per_byte(),
                                            result->bytes_scored, options.context, options.stride,
                                            runtime::PrecisionName(options.precision),
                                            seconds);
    if (absl::Status s = out->Write(tsv); !s.ok()) return s;
    if (absl::Status s = out->Commit(); !s.ok()) return s;
  }
  if (o.output != "-") {
    std::printf("%s: %.4f bpc (%.4f nats per byte) on %lld predicted bytes, context %lld, stride %lld, %s, %.1f s\n",
                o.tokens.c_str(), result->bpc(), result->nats_per_byte(), static_cast<long long>(result->bytes_scored),
                static_cast<long long>(options.context), static_cast<long long>(options.stride),
                runtime::PrecisionName(options.precision),
                seconds);
  }
  return absl::OkStatus();
}

}  // namespace attn::eval
