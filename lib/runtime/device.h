// The device a run computes on.
#ifndef ATTN_LIB_RUNTIME_DEVICE_H_
#define ATTN_LIB_RUNTIME_DEVICE_H_

#include <string>

#include "absl/status/statusor.h"
#include "torch/torch.h"

namespace attn::runtime {

// "cpu" or "cuda"; "cuda" is a FailedPrecondition naming the cause when this LibTorch has
// no CUDA (or no GPU is visible), anything else InvalidArgument naming the `device` option.
absl::StatusOr<torch::Device> ParseDevice(const std::string& name);

}  // namespace attn::runtime

#endif  // ATTN_LIB_RUNTIME_DEVICE_H_
