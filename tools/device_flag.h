// --device, one flag for every tool that runs a model (train_dense, train_sparse, evaluate,
// dump_attention, generate, head_importance): "cpu" or "cuda", parsed by runtime::ParseDevice
// (lib/runtime/device.h), which makes "cuda" one clear error on a LibTorch without CUDA.
#ifndef ATTN_TOOLS_DEVICE_FLAG_H_
#define ATTN_TOOLS_DEVICE_FLAG_H_

#include "gflags/gflags.h"

DECLARE_string(device);

#endif  // ATTN_TOOLS_DEVICE_FLAG_H_
