// The arithmetic precision of a run, and the autocast scope that applies it.
#ifndef ATTN_LIB_RUNTIME_PRECISION_H_
#define ATTN_LIB_RUNTIME_PRECISION_H_

#include <string>

#include "absl/status/statusor.h"
#include "torch/torch.h"

namespace attn::runtime {

enum class Precision { kFp32, kBf16 };

// "fp32" or "bf16"; anything else is InvalidArgument naming the `precision` option.
absl::StatusOr<Precision> ParsePrecision(const std::string& name);
const char* PrecisionName(Precision precision);

// Mixed precision for its scope: with kBf16, autocast runs matmuls in bfloat16 on the
// device (oneDNN on CPU); the weights and the optimizer state stay float32.
class AutocastScope {
 public:
  AutocastScope(Precision precision, torch::Device device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool cuda_ = false;
  bool was_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kFloat;
};

}  // namespace attn::runtime

#endif  // ATTN_LIB_RUNTIME_PRECISION_H_
