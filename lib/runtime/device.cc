#include "lib/runtime/device.h"

#include "absl/strings/str_cat.h"
#include "lib/runtime/option_names.h"

namespace attn::runtime {

absl::StatusOr<torch::Device> ParseDevice(const std::string& name) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (name == "cuda") {
    if (!torch::cuda::is_available()) {
      return absl::FailedPreconditionError(absl::StrCat(
          Opt("device"), "=cuda: this LibTorch build has no CUDA support (or no GPU is visible); "
          "use ", Opt("device"), "=cpu"));
    }
    return torch::Device(torch::kCUDA);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(Opt("device"), "=", name, " is not known; use cpu or cuda"));
}

}  // namespace attn::runtime
