#include "lib/model/attention_dump.h"

#include <functional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/data/byte_corpus.h"
#include "lib/io/npy.h"
#include "lib/model/checkpoint.h"
#include "lib/runtime/progress.h"

namespace attn::model {

absl::StatusOr<std::vector<int64_t>> ParseIndexList(const std::string& spec, int64_t limit,
                                                    const std::string& what) {
  std::vector<int64_t> indices;
  if (spec.empty()) return indices;
  for (absl::string_view part : absl::StrSplit(spec, ',')) {
    int64_t index;
    if (!absl::SimpleAtoi(part, &index) || index < 0 || index >= limit) {
      return absl::InvalidArgumentError(absl::StrCat("--", what, "=", spec, ": '", part,
                                                     "' is not an index in 0..", limit - 1));
    }
    indices.push_back(index);
  }
  return indices;
}

absl::Status ValidateAttentionDump(const LanguageModel& model, int64_t num_tokens,
                                   const AttentionDumpOptions& options) {
  if (options.num_seqs < 1) return absl::InvalidArgumentError("--num_seqs must be at least 1");
  if (options.offset < 0) return absl::InvalidArgumentError("--offset must be >= 0");
  if (options.seq_len < 1 || options.seq_len > model.MaxSeqLen()) {
    return absl::InvalidArgumentError(absl::StrCat("--seq_len=", options.seq_len,
                                                   " is outside 1..", model.MaxSeqLen(),
                                                   ", the model's positional table"));
  }
  const int64_t needed = options.offset + options.num_seqs * options.seq_len;
  if (needed > num_tokens) {
    return absl::OutOfRangeError(absl::StrCat(
        "the tokens hold ", num_tokens, " bytes but --num_seqs=", options.num_seqs,
        " windows of --seq_len=", options.seq_len, " from --offset=", options.offset,
        " need ", needed, "; ask for fewer or shorter sequences"));
  }
  return absl::OkStatus();
}

namespace {

std::vector<int64_t> AllOrSelected(const std::vector<int64_t>& selected, int64_t count) {
  if (!selected.empty()) return selected;
  std::vector<int64_t> all(count);
  for (int64_t i = 0; i < count; ++i) all[i] = i;
  return all;
}

}  // namespace

absl::Status DumpAttention(LanguageModel& model, std::string_view tokens,
                           const AttentionDumpOptions& options, io::AtomicFile& out,
                           const std::function<void(int64_t)>& on_sequence) {
  if (absl::Status s = ValidateAttentionDump(model, static_cast<int64_t>(tokens.size()), options);
      !s.ok()) {
    return s;
  }
  const std::vector<int64_t> layers = AllOrSelected(options.layers, model.NumLayers());
  const std::vector<int64_t> heads = AllOrSelected(options.heads, model.NumHeads());
  const torch::Tensor head_index = torch::tensor(heads, torch::kLong);
  const int64_t L = options.seq_len;
  const std::vector<int64_t> shape = {static_cast<int64_t>(layers.size()),
                                      static_cast<int64_t>(heads.size()), L, L};
  model.eval();
  torch::NoGradGuard no_grad;
  for (int64_t s = 0; s < options.num_seqs; ++s) {
    const auto* window =
        reinterpret_cast<const uint8_t*>(tokens.data() + options.offset + s * L);
    const torch::Tensor input =
        torch::from_blob(const_cast<uint8_t*>(window), {1, L}, torch::kUInt8).to(torch::kLong);
    std::vector<torch::Tensor> attention;
    model.ForwardWithAttention(input, &attention);
    std::vector<torch::Tensor> selected;
    selected.reserve(layers.size());
    for (int64_t layer : layers) {
      selected.push_back(attention.at(layer)[0].index_select(0, head_index));
    }
    const torch::Tensor record = torch::stack(selected).to(torch::kFloat).contiguous();
    attention.clear();
    if (absl::Status st = io::WriteNpyRecord(out, record.data_ptr<float>(), shape); !st.ok()) {
      return st;
    }
    if (on_sequence) on_sequence(s + 1);
  }
  return absl::OkStatus();
}

absl::Status RunDumpAttention(const std::string& checkpoint_path, const std::string& tokens_path,
                              const std::string& layers_spec, const std::string& heads_spec,
                              AttentionDumpOptions options, const std::string& output_path) {
  absl::StatusOr<LoadedCheckpoint> checkpoint = LoadCheckpoint(checkpoint_path);
  if (!checkpoint.ok()) return checkpoint.status();
  LanguageModel& model = *checkpoint->model;
  absl::StatusOr<std::vector<int64_t>> layers = ParseIndexList(layers_spec, model.NumLayers(), "layers");
  if (!layers.ok()) return layers.status();
  absl::StatusOr<std::vector<int64_t>> heads = ParseIndexList(heads_spec, model.NumHeads(), "heads");
  if (!heads.ok()) return heads.status();
  options.layers = *layers;
  options.heads = *heads;
  absl::StatusOr<data::ByteCorpus> tokens = data::ByteCorpus::Open(tokens_path);
  if (!tokens.ok()) return tokens.status();
  if (absl::Status s = ValidateAttentionDump(model, tokens->size(), options); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(tokens_path, ": ", s.message()));
  }
  absl::StatusOr<io::AtomicFile> out = io::AtomicFile::Open(output_path);
  if (!out.ok()) return out.status();
  runtime::Progress progress("dump_attention", options.num_seqs, " seqs");
  absl::Status status = DumpAttention(model, tokens->bytes(), options, *out,
                                      [&](int64_t done) { progress.Update(done); });
  if (!status.ok()) return status;
  status = out->Commit();
  if (status.ok()) progress.Finish(checkpoint->metadata.at("kind") + " model");
  return status;
}

}  // namespace attn::model
