// The arithmetic precision of a run, and the autocast scope that applies it.
#ifndef ATTN_LIB_RUNTIME_PRECISION_H_
#define ATTN_LIB_RUNTIME_PRECISION_H_

#include <string>

#include "absl/status/statusor.h"
#include "lib/runtime/cpu_features.h"
#include "torch/torch.h"

namespace attn::runtime {

enum class Precision { kFp32, kBf16 };

// "fp32", "bf16", or "auto": AutoPrecision(DetectCpuFeatures()). Anything else is
// InvalidArgument naming the `precision` option.
absl::StatusOr<Precision> ParsePrecision(const std::string& name);
const char* PrecisionName(Precision precision);

// What "auto" means on a CPU with these features: bf16 autocast where the CPU computes
// bf16 natively (HasNativeBf16: AVX512_BF16 or AMX-BF16), fp32 elsewhere, where LibTorch
// emulates bf16 many times slower than fp32 (docs/performance.md). Decided by the CPU
// alone, also for --device=cuda (give --precision there to choose).
Precision AutoPrecision(const CpuFeatures& cpu);

// The line a tool logs once when "auto" chose for it, naming the choice and why:
// "precision auto: fp32 (no native bf16 on this CPU: avx2)"; "" for another name.
std::string AutoPrecisionNote(const std::string& name, const CpuFeatures& cpu);

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
