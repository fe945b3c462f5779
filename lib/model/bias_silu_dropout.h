// The dense model's feed-forward activation, dropout(silu(h + bias)), in one pass over h
// forward and one backward, instead of LibTorch's four kernels (add, silu, a serial
// bernoulli draw of a float mask, multiply). The profile of a dense training step
// (docs/performance.md) shows the mask draw alone at about a sixth of the step.
#ifndef ATTN_LIB_MODEL_BIAS_SILU_DROPOUT_H_
#define ATTN_LIB_MODEL_BIAS_SILU_DROPOUT_H_

#include <cstdint>

#include "torch/torch.h"

namespace attn::model {

// h: [..., F] (the product x W^T without its bias), bias: [F]. In training with p > 0 each
// element is kept with probability 1 - p and scaled by 1 / (1 - p), as torch dropout does;
// the keep decisions are HashDropout's (lib/model/hash_dropout.h), a hash of a seed and the
// element's index, the seed one draw from LibTorch's default CPU generator, so torch::manual_seed and a rewound generator (gradient
// checkpointing, resumed runs) reproduce the mask, any thread count gives the same one, and
// the backward pass recomputes it instead of storing it. Differentiable in h and bias
// (float, double; bf16 computed in float). Tensors off the CPU take LibTorch's ops.
torch::Tensor BiasSiluDropout(const torch::Tensor& h, const torch::Tensor& bias, double p, bool training);

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_BIAS_SILU_DROPOUT_H_
