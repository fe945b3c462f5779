#include "lib/eval/bits_per_byte.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/eval/window_plan.h"

namespace attn::eval {

double BitsPerByte::bpc() const { return nats_per_byte() / std::log(2.0); }

absl::StatusOr<BitsPerByte> MeasureBitsPerByte(model::LanguageModel& model, std::string_view tokens,
                                               const BitsPerByteOptions& options,
                                               const std::function<void(const BitsPerByte&)>& on_progress) {
  if (options.batch_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat("batch_size ", options.batch_size, " must be positive"));
  }
  if (options.context > model.MaxSeqLen()) {
    return absl::InvalidArgumentError(absl::StrCat("context ", options.context,
                                                   " is longer than the model's positional table (",
                                                   model.MaxSeqLen(), " positions)"));
  }
  absl::StatusOr<WindowPlan> plan = WindowPlan::Make(static_cast<int64_t>(tokens.size()), options.context,
                                                     options.stride);
  if (!plan.ok()) return plan.status();
  model.eval();
  model.to(options.device);
  torch::NoGradGuard no_grad;
  BitsPerByte result;
  // Windows of one length go through the model together (all but a short first one).
  for (int64_t first = 0; first < plan->size();) {
    const int64_t length = (*plan)[first].length;
    std::vector<Window> batch;
    for (int64_t i = first; i < plan->size() && static_cast<int64_t>(batch.size()) < options.batch_size &&
                            (*plan)[i].length == length;
         ++i) {
      batch.push_back((*plan)[i]);
    }
    first += static_cast<int64_t>(batch.size());
    const int64_t rows = static_cast<int64_t>(batch.size());
    torch::Tensor window = torch::empty({rows, length + 1}, torch::kUInt8);
    for (int64_t r = 0; r < rows; ++r) {
      std::memcpy(window[r].data_ptr<uint8_t>(), tokens.data() + batch[r].begin, length + 1);
    }
    window = window.to(options.device, torch::kLong);
    using torch::indexing::Slice;
    torch::Tensor logits;
    {
      runtime::AutocastScope autocast(options.precision, options.device);
      logits = model.Forward(window.index({Slice(), Slice(0, length)}));
    }
    const torch::Tensor nll = -torch::log_softmax(logits.to(torch::kFloat), -1)
                                   .gather(-1, window.index({Slice(), Slice(1, length + 1)}).unsqueeze(-1))
                                   .squeeze(-1)
                                   .to(torch::kCPU, torch::kDouble);
    for (int64_t r = 0; r < rows; ++r) {
      result.nats += nll[r].index({Slice(length - batch[r].scored, length)}).sum().item<double>();
      result.bytes_scored += batch[r].scored;
    }
    if (on_progress) on_progress(result);
  }
  return result;
}

}  // namespace attn::eval
