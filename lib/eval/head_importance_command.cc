#include "lib/eval/head_importance_command.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "lib/data/byte_corpus.h"
#include "lib/eval/head_importance.h"
#include "lib/io/atomic_file.h"
#include "lib/io/csv.h"
#include "lib/model/analysis_window.h"
#include "lib/model/checkpoint.h"
#include "lib/runtime/device.h"
#include "lib/runtime/option_checks.h"
#include "lib/runtime/option_names.h"
#include "lib/runtime/progress.h"
#include "lib/runtime/tool.h"

namespace attn::eval {
namespace {

std::string Csv(const ImportanceResult& result) {
  io::Table table;
  table.header = absl::StrSplit(kHeadImportanceHeader, ',');
  for (const HeadImportance& h : result.heads) {
    table.rows.push_back({absl::StrCat(h.layer), absl::StrCat(h.head), io::FormatDouble(h.ablation_bpc),
                          io::FormatDouble(h.ablation_delta_bpc), io::FormatDouble(h.grad_importance)});
  }
  return io::FormatTable(table);
}

std::string Summary(const HeadImportanceOptions& o, int64_t seq_len, const ImportanceResult& r) {
  const HeadImportance& top = *std::max_element(
      r.heads.begin(), r.heads.end(),
      [](const HeadImportance& a, const HeadImportance& b) { return a.ablation_delta_bpc < b.ablation_delta_bpc; });
  return absl::StrFormat(
      "%s: %.4f bpc unmasked on %d window%s of %d bytes (%d predicted bytes); ablating layer %d head %d costs "
      "most (%+.4f bpc)",
      o.tokens, r.baseline_bpc, r.windows, r.windows == 1 ? "" : "s", seq_len, r.bytes_scored, top.layer, top.head,
      top.ablation_delta_bpc);
}

}  // namespace

absl::Status RunHeadImportance(const HeadImportanceOptions& o) {
  using runtime::Opt;
  if (o.checkpoint.empty()) return absl::InvalidArgumentError(Opt("checkpoint") + " is required");
  if (o.tokens.empty()) return absl::InvalidArgumentError(Opt("tokens") + " is required (a .u8 file, or - for stdin)");
  for (const absl::Status& s :
       {runtime::CheckInteger("seq_len", o.seq_len, 0), runtime::CheckInteger("batches", o.batches, 0),
        runtime::CheckInteger("batch_size", o.batch_size, 1)}) {
    if (!s.ok()) return s;
  }
  absl::StatusOr<torch::Device> device = runtime::ParseDevice(o.device);
  if (!device.ok()) return device.status();
  absl::StatusOr<model::LoadedCheckpoint> checkpoint = model::LoadCheckpoint(o.checkpoint);
  if (!checkpoint.ok()) return runtime::InputError(checkpoint.status());
  absl::StatusOr<int64_t> seq_len = model::AnalysisWindow(*checkpoint, o.seq_len, o.checkpoint);
  if (!seq_len.ok()) return seq_len.status();
  if (o.seq_len == 0 && checkpoint->training.seq_len == 0) {
    runtime::Report(absl::StrCat(o.checkpoint, " records no training seq_len; windows of ", *seq_len, " bytes"));
  }
  absl::StatusOr<data::ByteCorpus> tokens = data::ByteCorpus::Open(o.tokens);
  if (!tokens.ok()) return runtime::InputError(tokens.status());
  absl::StatusOr<io::AtomicFile> out = io::AtomicFile::Open(o.output);
  if (!out.ok()) return out.status();

  ImportanceOptions options;
  options.seq_len = *seq_len;
  options.batches = o.batches;
  options.batch_size = o.batch_size;
  options.device = *device;
  std::optional<runtime::Progress> progress;
  absl::StatusOr<ImportanceResult> result =
      MeasureHeadImportance(*checkpoint->model, tokens->bytes(), options, [&](const ImportanceProgress& p) {
        if (!progress) progress.emplace(runtime::ToolName(), p.total, "passes");
        progress->Update(p.done, p.doing);
      });
  if (absl::IsOutOfRange(result.status())) {  // too few tokens
    return absl::OutOfRangeError(absl::StrCat(o.tokens, ": ", result.status().message()));
  }
  if (absl::IsFailedPrecondition(result.status())) {  // the model's own fault: name its file
    return absl::FailedPreconditionError(absl::StrCat(o.checkpoint, ": ", result.status().message()));
  }
  if (!result.ok()) return result.status();
  if (absl::Status s = out->Write(Csv(*result)); !s.ok()) return s;
  if (absl::Status s = out->Commit(); !s.ok()) return s;
  const std::string summary = Summary(o, *seq_len, *result);
  if (progress) progress->Finish(absl::StrCat(checkpoint->model->Kind(), " model"));
  if (out->is_stdout()) {
    runtime::Report(summary);
  } else {
    std::printf("%s\n", summary.c_str());
  }
  return absl::OkStatus();
}

}  // namespace attn::eval
