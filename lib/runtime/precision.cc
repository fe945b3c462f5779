#include "lib/runtime/precision.h"

#include "ATen/autocast_mode.h"
#include "absl/strings/str_cat.h"
#include "lib/runtime/option_names.h"

namespace attn::runtime {

absl::StatusOr<Precision> ParsePrecision(const std::string& name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "bf16") return Precision::kBf16;
  if (name == "auto") return AutoPrecision(DetectCpuFeatures());
  return absl::InvalidArgumentError(
      absl::StrCat(Opt("precision"), "=", name, " is not known; use auto, fp32 or bf16"));
}

Precision AutoPrecision(const CpuFeatures& cpu) {
  return HasNativeBf16(cpu) ? Precision::kBf16 : Precision::kFp32;
}

std::string AutoPrecisionNote(const std::string& name, const CpuFeatures& cpu) {
  if (name != "auto") return "";
  return absl::StrCat("precision auto: ", PrecisionName(AutoPrecision(cpu)),
                      HasNativeBf16(cpu) ? " (native bf16 on this CPU: " : " (no native bf16 on this CPU: ",
                      DescribeCpuFeatures(cpu), ")");
}

const char* PrecisionName(Precision precision) {
  return precision == Precision::kBf16 ? "bf16" : "fp32";
}

AutocastScope::AutocastScope(Precision precision, torch::Device device) {
  if (precision != Precision::kBf16) return;
  active_ = true;
  cuda_ = device.is_cuda();
  if (cuda_) {
    was_enabled_ = at::autocast::is_enabled();
    previous_dtype_ = at::autocast::get_autocast_gpu_dtype();
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(true);
  } else {
    was_enabled_ = at::autocast::is_cpu_enabled();
    previous_dtype_ = at::autocast::get_autocast_cpu_dtype();
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(true);
  }
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  if (cuda_) {
    at::autocast::set_enabled(was_enabled_);
    at::autocast::set_autocast_gpu_dtype(previous_dtype_);
  } else {
    at::autocast::set_cpu_enabled(was_enabled_);
    at::autocast::set_autocast_cpu_dtype(previous_dtype_);
  }
  // Autocast caches the bf16 copies of the weights; they are stale after the next step.
  at::autocast::clear_cache();
}

}  // namespace attn::runtime
