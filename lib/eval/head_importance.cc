#include "lib/eval/head_importance.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "lib/eval/bits_per_byte.h"
#include "lib/runtime/option_checks.h"
#include "lib/runtime/option_names.h"

namespace attn::eval {
namespace {

// A gradient (forward and backward of one window) costs about three forward passes.
constexpr int64_t kGradientCost = 3;

absl::Status CheckOptions(const model::LanguageModel& model, int64_t num_tokens, const ImportanceOptions& o) {
  using runtime::Opt;
  for (const absl::Status& s : {runtime::CheckInteger("seq_len", o.seq_len, 1),
                                runtime::CheckInteger("batch_size", o.batch_size, 1),
                                runtime::CheckInteger("batches", o.batches, 0)}) {
    if (!s.ok()) return s;
  }
  if (o.seq_len > model.MaxSeqLen()) {
    return absl::OutOfRangeError(absl::StrCat(Opt("seq_len"), "=", o.seq_len, " is beyond this ", model.Kind(),
                                              " model's positional table (", model.MaxSeqLen(),
                                              " positions); use at most ", model.MaxSeqLen()));
  }
  if (ImportanceWindows(num_tokens, o) == 0) {
    return absl::OutOfRangeError(absl::StrCat("the tokens hold ", num_tokens, " bytes, but one window of ",
                                              Opt("seq_len"), "=", o.seq_len, " and the byte after it need ",
                                              o.seq_len + 1, "; give more tokens or a smaller ", Opt("seq_len")));
  }
  return absl::OkStatus();
}

// A [layers, heads] mask of ones in the model's own precision, on `device`.
torch::Tensor Ones(const model::LanguageModel& model, const torch::Device& device) {
  return torch::ones({model.NumLayers(), model.NumHeads()},
                     torch::TensorOptions().dtype(model.parameters().front().scalar_type()).device(device));
}

// Sum over the windows of |d bpc(window) / d mask| at mask = 1, [layers, heads] double:
// one forward and backward per window, so that the absolute value is taken per window.
// `on_window` is called after each.
torch::Tensor SummedAbsoluteGradients(model::LanguageModel& model, std::string_view tokens, int64_t windows,
                                      int64_t seq_len, const torch::Device& device,
                                      const std::function<void(int64_t)>& on_window) {
  torch::AutoGradMode grad_mode(true);
  const torch::Tensor mask = Ones(model, device).requires_grad_(true);
  (void)model.SetHeadMask(mask);  // the shape is the model's own
  torch::Tensor sum = torch::zeros({model.NumLayers(), model.NumHeads()}, torch::kDouble);
  const auto* bytes = reinterpret_cast<const uint8_t*>(tokens.data());
  for (int64_t w = 0; w < windows; ++w) {
    const torch::Tensor window =
        torch::from_blob(const_cast<uint8_t*>(bytes + w * seq_len), {1, seq_len + 1}, torch::kUInt8)
            .to(device, torch::kLong);
    using torch::indexing::Slice;
    const torch::Tensor logits = model.Forward(window.index({Slice(), Slice(0, seq_len)}));
    const torch::Tensor bpc = -torch::log_softmax(logits, -1)
                                   .gather(-1, window.index({Slice(), Slice(1, seq_len + 1)}).unsqueeze(-1))
                                   .mean() /
                              std::log(2.0);
    const torch::Tensor grad = torch::autograd::grad({bpc}, {mask})[0];
    sum += grad.abs().to(torch::kCPU, torch::kDouble);
    if (on_window) on_window(w + 1);
  }
  return sum;
}

}  // namespace

int64_t ImportanceWindows(int64_t num_tokens, const ImportanceOptions& o) {
  if (o.seq_len < 1 || num_tokens <= o.seq_len) return 0;
  const int64_t whole = (num_tokens - 1) / o.seq_len;
  int64_t cap = std::numeric_limits<int64_t>::max();
  if (o.batches > 0 && __builtin_mul_overflow(o.batches, o.batch_size, &cap)) {
    cap = std::numeric_limits<int64_t>::max();
  }
  return std::min(whole, cap);
}

absl::StatusOr<ImportanceResult> MeasureHeadImportance(
    model::LanguageModel& model, std::string_view tokens, const ImportanceOptions& options,
    const std::function<void(const ImportanceProgress&)>& on_progress) {
  const int64_t num_tokens = static_cast<int64_t>(tokens.size());
  if (absl::Status s = CheckOptions(model, num_tokens, options); !s.ok()) return s;
  const int64_t windows = ImportanceWindows(num_tokens, options);
  const int64_t L = options.seq_len, layers = model.NumLayers(), heads = model.NumHeads();
  // Exactly the windows' bytes and the one after the last, so that bits_per_byte's plan with
  // context = stride = seq_len is these windows, every position scored.
  const std::string_view used = tokens.substr(0, windows * L + 1);

  const torch::Tensor previous_mask = model.head_mask();
  absl::Cleanup restore_mask = [&] { (void)model.SetHeadMask(previous_mask); };
  model.eval();
  model.to(options.device);

  ImportanceProgress progress;
  progress.total = windows * (layers * heads + 1 + kGradientCost);
  auto report = [&](int64_t done, std::string doing) {
    progress.done = done;
    progress.doing = std::move(doing);
    if (on_progress) on_progress(progress);
  };
  BitsPerByteOptions pass;
  pass.context = L;
  pass.stride = L;
  pass.batch_size = options.batch_size;
  pass.device = options.device;
  // bits per byte with `mask`; `done` is the progress before this pass.
  auto masked_bpc = [&](const torch::Tensor& mask, int64_t done, const std::string& doing) -> absl::StatusOr<double> {
    (void)model.SetHeadMask(mask);
    absl::StatusOr<BitsPerByte> measured = MeasureBitsPerByte(model, used, pass, [&](const BitsPerByte& so_far) {
      report(done + so_far.bytes_scored / L, doing);
    });
    if (!measured.ok()) return measured.status();
    return measured->bpc();
  };

  ImportanceResult result;
  result.windows = windows;
  result.bytes_scored = windows * L;
  absl::StatusOr<double> baseline = masked_bpc(Ones(model, options.device), 0, "unmasked");
  if (!baseline.ok()) return baseline.status();
  if (!std::isfinite(*baseline)) {
    return absl::FailedPreconditionError(
        "the model's loss is not finite (its weights hold NaN or infinity, or overflow); retrain it");
  }
  result.baseline_bpc = *baseline;
  int64_t done = windows;

  const torch::Tensor grad_sum = SummedAbsoluteGradients(
      model, used, windows, L, options.device,
      [&](int64_t w) { report(done + kGradientCost * w, "gradients"); });
  done += kGradientCost * windows;
  const torch::Tensor grad_mean = grad_sum / static_cast<double>(windows);

  torch::NoGradGuard no_grad;
  for (int64_t l = 0; l < layers; ++l) {
    for (int64_t h = 0; h < heads; ++h) {
      torch::Tensor mask = Ones(model, options.device);
      mask[l][h] = 0;
      absl::StatusOr<double> ablated = masked_bpc(mask, done, absl::StrCat("ablating layer ", l, " head ", h));
      if (!ablated.ok()) return ablated.status();
      done += windows;
      HeadImportance head{l, h, *ablated, *ablated - result.baseline_bpc, grad_mean[l][h].item<double>()};
      if (!std::isfinite(head.ablation_bpc) || !std::isfinite(head.grad_importance)) {
        return absl::FailedPreconditionError(absl::StrCat("the model's loss is not finite with layer ", l,
                                                          " head ", h, " ablated, or its gradient is not"));
      }
      result.heads.push_back(head);
    }
  }
  return result;
}

}  // namespace attn::eval
