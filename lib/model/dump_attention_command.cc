#include "lib/model/dump_attention_command.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "lib/data/byte_corpus.h"
#include "lib/io/atomic_file.h"
#include "lib/model/analysis_window.h"
#include "lib/model/attention_dump.h"
#include "lib/model/checkpoint.h"
#include "lib/runtime/device.h"
#include "lib/runtime/option_checks.h"
#include "lib/runtime/option_names.h"
#include "lib/runtime/progress.h"
#include "lib/runtime/tool.h"

namespace attn::model {

absl::Status RunDumpAttention(const DumpAttentionOptions& options) {
  using runtime::Opt;
  if (options.checkpoint.empty()) return absl::InvalidArgumentError(Opt("checkpoint") + " is required");
  if (options.tokens.empty()) return absl::InvalidArgumentError(Opt("tokens") + " is required");
  for (const absl::Status& s : {runtime::CheckInteger("num_seqs", options.num_seqs, 1),
                                runtime::CheckInteger("seq_len", options.seq_len, 0),
                                runtime::CheckInteger("offset", options.offset, 0)}) {
    if (!s.ok()) return s;
  }
  absl::StatusOr<torch::Device> device = runtime::ParseDevice(options.device);
  if (!device.ok()) return device.status();
  absl::StatusOr<LoadedCheckpoint> checkpoint = LoadCheckpoint(options.checkpoint);
  if (!checkpoint.ok()) return runtime::InputError(checkpoint.status());
  LanguageModel& model = *checkpoint->model;
  model.to(*device);
  AttentionDumpOptions dump;
  dump.num_seqs = options.num_seqs;
  dump.offset = options.offset;
  absl::StatusOr<int64_t> seq_len = AnalysisWindow(*checkpoint, options.seq_len, options.checkpoint);
  if (!seq_len.ok()) return seq_len.status();
  dump.seq_len = *seq_len;
  absl::StatusOr<std::vector<int64_t>> layers = ParseIndexList(options.layers, model.NumLayers(), "layers");
  if (!layers.ok()) return layers.status();
  absl::StatusOr<std::vector<int64_t>> heads = ParseIndexList(options.heads, model.NumHeads(), "heads");
  if (!heads.ok()) return heads.status();
  dump.layers = *layers;
  dump.heads = *heads;
  absl::StatusOr<data::ByteCorpus> tokens = data::ByteCorpus::Open(options.tokens);
  if (!tokens.ok()) return runtime::InputError(tokens.status());
  if (absl::Status s = ValidateAttentionDump(model, tokens->size(), dump); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(options.tokens, ": ", s.message()));
  }
  absl::StatusOr<io::AtomicFile> out = io::AtomicFile::Open(options.output);
  if (!out.ok()) return out.status();
  runtime::Progress progress(runtime::ToolName(), dump.num_seqs, "seqs");
  absl::Status status = DumpAttention(model, tokens->bytes(), dump, *out,
                                      [&](int64_t done) { progress.Update(done); });
  if (absl::IsFailedPrecondition(status)) {  // the model's own fault: name its file
    return absl::FailedPreconditionError(absl::StrCat(options.checkpoint, ": ", status.message()));
  }
  if (!status.ok()) return status;
  status = out->Commit();
  if (status.ok()) progress.Finish(absl::StrCat(model.Kind(), " model, ", dump.seq_len, "-byte windows"));
  return status;
}

}  // namespace attn::model
