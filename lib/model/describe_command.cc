#include "lib/model/describe_command.h"

#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/io/atomic_file.h"
#include "lib/io/safetensors.h"
#include "lib/model/checkpoint.h"
#include "lib/model/config_metadata.h"
#include "lib/runtime/option_names.h"
#include "lib/runtime/tool.h"

namespace attn::model {
namespace {

// A pattern's rule in the pattern file's own terms.
std::string Rule(const AttentionPattern& p) {
  std::vector<std::string> parts;
  if (p.window.has_value()) parts.push_back(p.IsDense() ? "window unbounded" : absl::StrCat("window ", *p.window));
  if (p.stride > 0) parts.push_back(absl::StrCat("stride ", p.stride));
  if (!p.anchors.empty()) {
    std::vector<std::string> anchors;
    for (const double r : p.anchors) anchors.push_back(FormatDouble(r));
    parts.push_back(absl::StrCat("anchors ", absl::StrJoin(anchors, " ")));
  }
  return absl::StrJoin(parts, ", ");
}

void AppendPatterns(const ModelSpec& spec, int64_t seq_len, const std::string& length_source, std::string* out) {
  if (spec.patterns.empty()) {
    absl::StrAppend(out, "attention: full causal attention in every head (the original's)\n");
    return;
  }
  absl::StrAppendFormat(out, "attention patterns: %.4f of causal pairs computed at seq_len %d (%s)\n",
                        spec.patterns.PairFraction(seq_len), seq_len, length_source);
  for (const NamedPattern& p : spec.patterns.patterns()) {
    const double fraction = static_cast<double>(PatternAtLength(p.pattern, seq_len).PairCount()) /
                            static_cast<double>(CausalPairCount(seq_len));
    absl::StrAppendFormat(out, "  %s: %s (%.4f of causal pairs)\n", p.name, Rule(p.pattern), fraction);
  }
  for (int64_t l = 0; l < spec.patterns.layers(); ++l) {
    if (l > 0 && spec.patterns.LayerNames(l) == spec.patterns.LayerNames(l - 1)) {
      absl::StrAppend(out, "  layer ", l, ": as layer ", l - 1, "\n");
    } else {
      absl::StrAppend(out, "  layer ", l, ": ", absl::StrJoin(spec.patterns.LayerNames(l), " "), "\n");
    }
  }
}

}  // namespace

absl::StatusOr<std::string> DescribeCheckpoint(const std::string& path) {
  absl::StatusOr<io::Safetensors> file = io::ReadSafetensors(path);
  if (!file.ok()) return file.status();
  absl::StatusOr<LoadedCheckpoint> loaded = LoadCheckpointFrom(*file, path);
  if (!loaded.ok()) return loaded.status();
  const ModelSpec& spec = loaded->spec;
  std::string out = absl::StrCat("checkpoint: ", path, "\nkind: ", spec.kind, "\nconfiguration:\n");
  for (const auto& [key, value] : spec.config) {
    if (key != kPatternsKey) absl::StrAppend(&out, "  ", key, ": ", value, "\n");
  }
  const CheckpointTraining& t = loaded->training;
  const int64_t seq_len = t.seq_len > 0 ? t.seq_len : spec.max_len;
  AppendPatterns(spec, seq_len, t.seq_len > 0 ? "the training length" : "max_len; no training length recorded",
                 &out);

  int64_t parameters = 0;
  for (const torch::Tensor& p : loaded->model->parameters()) parameters += p.numel();
  std::vector<std::string> ties;
  for (const auto& [alias, source] : spec.tied) ties.push_back(absl::StrCat(alias, " = ", source));
  absl::StrAppend(&out, "parameters: ", parameters, ties.empty() ? "" : " (tied: " + absl::StrJoin(ties, ", ") + ")",
                  "\n");

  const std::map<std::string, std::string>& m = loaded->metadata;
  std::vector<std::string> training;
  if (m.count("step")) training.push_back(absl::StrCat(t.step, " steps"));
  if (m.count("epoch")) training.push_back(absl::StrFormat("%.4g epochs", t.epoch));
  if (m.count("valid_bpc")) training.push_back(absl::StrFormat("best validation %.4f bpc", t.valid_bpc));
  if (m.count("valid_loss")) training.push_back(absl::StrFormat("(%.4f nats)", t.valid_loss));
  if (m.count("seq_len")) training.push_back(absl::StrCat("at seq_len ", t.seq_len));
  absl::StrAppend(&out, "training: ", training.empty() ? "not recorded" : absl::StrJoin(training, " "), "\n");
  std::set<std::string> shown = {"kind"};
  for (const auto& [key, value] : spec.config) shown.insert(key);
  std::string other;
  for (const auto& [key, value] : m) {
    if (!shown.count(key)) absl::StrAppend(&other, "  ", key, ": ", value, "\n");
  }
  if (!other.empty()) absl::StrAppend(&out, "metadata:\n", other);

  int64_t bytes = 0;
  for (const auto& [name, tensor] : file->tensors) bytes += static_cast<int64_t>(tensor.data.size());
  absl::StrAppend(&out, "tensors: ", file->tensors.size(), " (", bytes, " bytes)\n");
  for (const auto& [name, tensor] : file->tensors) {
    auto tie = spec.tied.find(name);
    absl::StrAppend(&out, "  ", name, " ", tensor.dtype, " [", absl::StrJoin(tensor.shape, ", "), "]",
                    tie == spec.tied.end() ? "" : " (= " + tie->second + ")", "\n");
  }
  return out;
}

absl::Status RunDescribe(const DescribeOptions& options) {
  if (options.checkpoint.empty()) return absl::InvalidArgumentError(runtime::Opt("checkpoint") + " is required");
  absl::StatusOr<std::string> text = DescribeCheckpoint(options.checkpoint);
  if (!text.ok()) return runtime::InputError(text.status());
  absl::StatusOr<io::AtomicFile> out = io::AtomicFile::Open(options.output);
  if (!out.ok()) return out.status();
  if (absl::Status s = out->Write(*text); !s.ok()) return s;
  return out->Commit();
}

}  // namespace attn::model
