// Which bytes each forward pass of a sliding-window evaluation reads, and which of its
// predictions count, so that every byte after the first is predicted exactly once.
//
// tokens[0] has no context and is not predicted: n bytes give n - 1 predictions. The first
// window reads tokens[0, min(context, n - 1)) and scores all its predictions (byte p with
// p bytes of context). Each later window ends `stride` predictions further on, reads the
// `context` bytes before its last target and scores only its last `stride` predictions (or
// what is left), so each of them has at least context - stride + 1 bytes of context.
// stride = context gives non-overlapping windows (the last one reaching back to be whole);
// a smaller stride gives every prediction more context at context / stride times the cost,
// as Transformer-XL and adaptive-span evaluate.
#ifndef ATTN_LIB_EVAL_WINDOW_PLAN_H_
#define ATTN_LIB_EVAL_WINDOW_PLAN_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace attn::eval {

struct Window {
  int64_t begin = 0;   // tokens[begin, begin + length) predict tokens[begin + 1, begin + length]
  int64_t length = 0;
  int64_t scored = 0;  // the last `scored` of those predictions count
};

class WindowPlan {
 public:
  // At least 2 tokens, 1 <= stride <= context; InvalidArgument otherwise.
  static absl::StatusOr<WindowPlan> Make(int64_t num_tokens, int64_t context, int64_t stride);

  int64_t size() const { return num_windows_; }
  Window operator[](int64_t i) const;
  int64_t predictions() const { return num_tokens_ - 1; }

 private:
  WindowPlan(int64_t num_tokens, int64_t context, int64_t stride);

  int64_t num_tokens_, context_, stride_, num_windows_;
};

}  // namespace attn::eval

#endif  // ATTN_LIB_EVAL_WINDOW_PLAN_H_
