#include "lib/generate/sampler.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "ATen/CPUGeneratorImpl.h"
#include "absl/strings/str_cat.h"
#include "lib/model/decoder.h"
#include "lib/model/kv_cache.h"
#include "lib/runtime/option_checks.h"
#include "lib/runtime/option_names.h"

namespace attn::generate {

absl::Status SamplingOptions::Validate() const {
  for (const absl::Status& s :
       {runtime::CheckNumber("temperature", temperature, runtime::kNonNegative),
        runtime::CheckNumber("top_p", top_p, runtime::kFraction), runtime::CheckInteger("top_k", top_k, 0),
        runtime::CheckInteger("max_bytes", max_bytes, 0), runtime::CheckInteger("context", context, 0),
        runtime::CheckInteger("slide", slide, 0)}) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

torch::Tensor NextByteProbabilities(const torch::Tensor& logits, const SamplingOptions& options) {
  torch::Tensor l = logits.detach().to(torch::kCPU, torch::kDouble).reshape({-1});
  if (options.temperature <= 0) {
    // Greedy: all the mass on the most likely byte.
    return torch::zeros_like(l).index_put_({l.argmax()}, 1.0);
  }
  torch::Tensor probs = torch::softmax(l / options.temperature, 0);
  if (options.top_k > 0 && options.top_k < probs.size(0)) {
    const double kth = std::get<0>(probs.topk(options.top_k)).min().item<double>();
    probs = torch::where(probs >= kth, probs, torch::zeros_like(probs));
    probs = probs / probs.sum();
  }
  if (options.top_p < 1.0) {
    auto [sorted, order] = probs.sort(/*dim=*/0, /*descending=*/true);
    // Keep a byte when the probability of the bytes before it is still short of top_p.
    torch::Tensor before = sorted.cumsum(0) - sorted;
    const double threshold =
        sorted.masked_select(before < options.top_p).min().item<double>();
    probs = torch::where(probs >= threshold, probs, torch::zeros_like(probs));
    probs = probs / probs.sum();
  }
  return probs;
}

int64_t WindowStart(int64_t t, int64_t context, int64_t slide) {
  if (t <= context) return 0;
  return (t - context + slide - 1) / slide * slide;
}

absl::Status Generate(model::LanguageModel& model, const std::string& prompt,
                      const SamplingOptions& options, const std::function<absl::Status(char)>& emit) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  if (prompt.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("the prompt is empty; give ", runtime::Opt("prompt"),
                                                   " or ", runtime::Opt("prompt_file")));
  }
  const int64_t context = options.context > 0 ? std::min(options.context, model.MaxSeqLen())
                                              : model.MaxSeqLen();
  if (options.slide > context) {
    return absl::InvalidArgumentError(absl::StrCat(runtime::Opt("slide"), "=", options.slide,
                                                   " is beyond the context of ", context,
                                                   " bytes; give at most ", context));
  }
  const int64_t slide = options.slide > 0 ? options.slide : std::max<int64_t>(1, context / 2);
  model.eval();
  torch::NoGradGuard no_grad;
  const torch::Device device = model.Device();
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  // The cached forward: plain loops on the CPU (model::Decoder), LibTorch's operations
  // elsewhere (model::KVCache). Both rebuild themselves from the bytes kept once the window
  // slides (every position moved): once per `slide` bytes.
  std::optional<model::Decoder> decoder;
  if (options.use_cache) {
    if (std::unique_ptr<model::DecoderWeights> w = model.DecoderWeightsOnCpu()) decoder.emplace(std::move(*w));
  }
  model::KVCache cache;
  std::vector<int64_t> bytes;
  for (unsigned char c : prompt) bytes.push_back(c);
  for (int64_t n = 0; n < options.max_bytes; ++n) {
    const int64_t start = WindowStart(static_cast<int64_t>(bytes.size()), context, slide);
    const std::vector<int64_t> window(bytes.begin() + start, bytes.end());
    torch::Tensor logits;
    if (decoder) {
      const Eigen::RowVectorXf& row = decoder->Next(window);
      logits = torch::from_blob(const_cast<float*>(row.data()), {row.size()}, torch::kFloat);
    } else {
      const torch::Tensor tokens = torch::tensor(window, torch::kInt64).unsqueeze(0).to(device);
      logits = options.use_cache ? model.ForwardLast(tokens, cache)[0] : model.Forward(tokens)[0][-1];
    }
    if (!torch::isfinite(logits).all().item<bool>()) {
      return absl::FailedPreconditionError(
          "the model computes non-finite logits (its weights hold NaN or infinity); retrain it");
    }
    torch::Tensor probs = NextByteProbabilities(logits, options);
    const int64_t next = torch::multinomial(probs, 1, false, generator).item<int64_t>();
    bytes.push_back(next);
    if (absl::Status s = emit(static_cast<char>(next)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace attn::generate
