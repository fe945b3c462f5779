#include "lib/eval/window_plan.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace attn::eval {

absl::StatusOr<WindowPlan> WindowPlan::Make(int64_t num_tokens, int64_t context, int64_t stride) {
  if (num_tokens < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        num_tokens, " bytes give no prediction (the first byte has no context): at least 2 are needed"));
  }
  if (context < 1) return absl::InvalidArgumentError(absl::StrCat("context ", context, " must be positive"));
  if (stride < 1 || stride > context) {
    return absl::InvalidArgumentError(absl::StrCat("stride ", stride, " must be in 1..context (", context, ")"));
  }
  return WindowPlan(num_tokens, context, stride);
}

WindowPlan::WindowPlan(int64_t num_tokens, int64_t context, int64_t stride)
    : num_tokens_(num_tokens), context_(context), stride_(stride) {
  const int64_t rest = std::max<int64_t>(0, predictions() - context);  // after the first window
  num_windows_ = 1 + (rest + stride - 1) / stride;
}

Window WindowPlan::operator[](int64_t i) const {
  // Window i's last target is byte end(i).
  auto end = [this](int64_t i) { return std::min(context_ + i * stride_, predictions()); };
  Window w;
  if (i == 0) {
    w.length = end(0);
    w.scored = w.length;
  } else {
    w.begin = end(i) - context_;
    w.length = context_;
    w.scored = end(i) - end(i - 1);
  }
  return w;
}

}  // namespace attn::eval
