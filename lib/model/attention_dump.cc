#include "lib/model/attention_dump.h"

#include <functional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/io/npy.h"
#include "lib/runtime/option_checks.h"
#include "lib/runtime/option_names.h"

namespace attn::model {

absl::StatusOr<std::vector<int64_t>> ParseIndexList(const std::string& spec, int64_t limit,
                                                    const std::string& what) {
  std::vector<int64_t> indices;
  if (spec.empty()) return indices;
  for (absl::string_view part : absl::StrSplit(spec, ',')) {
    int64_t index;
    if (!absl::SimpleAtoi(part, &index) || index < 0) {
      return absl::InvalidArgumentError(absl::StrCat(runtime::Opt(what), "=", spec, ": '", part,
                                                     "' is not an index"));
    }
    if (index >= limit) {
      return absl::OutOfRangeError(absl::StrCat(runtime::Opt(what), "=", spec, ": ", index,
                                                " is not an index in 0..", limit - 1, " of this model"));
    }
    indices.push_back(index);
  }
  return indices;
}

absl::Status ValidateAttentionDump(const LanguageModel& model, int64_t num_tokens,
                                   const AttentionDumpOptions& options) {
  using runtime::Opt;
  for (const absl::Status& s : {runtime::CheckInteger("num_seqs", options.num_seqs, 1),
                                runtime::CheckInteger("seq_len", options.seq_len, 1),
                                runtime::CheckInteger("offset", options.offset, 0)}) {
    if (!s.ok()) return s;
  }
  if (options.seq_len > model.MaxSeqLen()) {
    return absl::OutOfRangeError(absl::StrCat(Opt("seq_len"), "=", options.seq_len, " is outside 1..",
                                              model.MaxSeqLen(), ", the model's positional table"));
  }
  // offset + num_seqs * seq_len <= num_tokens, checked without computing what may overflow.
  const bool fits = options.offset <= num_tokens &&
                    options.num_seqs <= (num_tokens - options.offset) / options.seq_len;
  if (!fits) {
    int64_t needed = 0;
    const bool representable = !__builtin_mul_overflow(options.num_seqs, options.seq_len, &needed) &&
                               !__builtin_add_overflow(needed, options.offset, &needed);
    return absl::OutOfRangeError(absl::StrCat(
        "the tokens hold ", num_tokens, " bytes but ", Opt("num_seqs"), "=", options.num_seqs,
        " windows of ", Opt("seq_len"), "=", options.seq_len, " from ", Opt("offset"), "=", options.offset,
        " need ", representable ? absl::StrCat(needed) : std::string("more than 2^63"),
        "; ask for fewer or shorter sequences"));
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
  const torch::Device device = model.Device();
  const torch::Tensor head_index = torch::tensor(heads, torch::kLong).to(device);
  const int64_t L = options.seq_len;
  const std::vector<int64_t> shape = {static_cast<int64_t>(layers.size()),
                                      static_cast<int64_t>(heads.size()), L, L};
  model.eval();
  torch::NoGradGuard no_grad;
  for (int64_t s = 0; s < options.num_seqs; ++s) {
    const auto* window =
        reinterpret_cast<const uint8_t*>(tokens.data() + options.offset + s * L);
    const torch::Tensor input =
        torch::from_blob(const_cast<uint8_t*>(window), {1, L}, torch::kUInt8).to(device, torch::kLong);
    std::vector<torch::Tensor> attention;
    model.ForwardWithAttention(input, &attention);
    std::vector<torch::Tensor> selected;
    selected.reserve(layers.size());
    for (int64_t layer : layers) {
      selected.push_back(attention.at(layer)[0].index_select(0, head_index));
    }
    const torch::Tensor record = torch::stack(selected).to(torch::kCPU, torch::kFloat).contiguous();
    attention.clear();
    if (!torch::isfinite(record).all().item<bool>()) {
      return absl::FailedPreconditionError(
          "the model computes non-finite attention (its weights hold NaN or infinity); retrain it");
    }
    if (absl::Status st = io::WriteNpyRecord(out, record.data_ptr<float>(), shape); !st.ok()) {
      return st;
    }
    if (on_sequence) on_sequence(s + 1);
  }
  return absl::OkStatus();
}

}  // namespace attn::model
