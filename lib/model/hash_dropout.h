// Dropout whose keep decisions are a hash of (seed, element) (dropout_hash.h) instead of a
// Bernoulli mask drawn element by element from the generator: drawn on every thread, fused
// with the scaling in one pass, and recomputed in the backward pass instead of stored. The
// statistics are torch::dropout's: each element kept with probability 1 - p, independently,
// and scaled by 1 / (1 - p). LibTorch 1.13 without MKL draws its masks serially
// (CPUGeneratorImpl::random64 was 3-6% of a training step's samples, docs/performance.md).
#ifndef ATTN_LIB_MODEL_HASH_DROPOUT_H_
#define ATTN_LIB_MODEL_HASH_DROPOUT_H_

#include <cstdint>

#include "torch/torch.h"

namespace attn::model {

// A seed for hashed dropout decisions from LibTorch's default CPU generator, so that
// torch::manual_seed (and a checkpointed block's rewound generator) reproduces them.
uint64_t DrawDropoutSeed();

// x with dropout p when training (p in [0, 1)); x itself otherwise. Differentiable; the
// gradient is the upstream gradient times the same factors. CPU tensors of any floating type;
// tensors on another device take torch::dropout.
torch::Tensor HashDropout(const torch::Tensor& x, double p, bool training);

// The decisions HashDropout makes with `seed`, applied to elements [first, first + n) of a
// flattened tensor: out[i] = in[i] * (element first + i kept ? 1 / (1 - p) : 0), computed in
// float for bf16 and half; in may be out. For fused operations that drop in the same pass.
void ScaleKeptElements(const float* in, float* out, int64_t first, int64_t n, uint64_t seed, double p);
void ScaleKeptElements(const double* in, double* out, int64_t first, int64_t n, uint64_t seed, double p);
void ScaleKeptElements(const c10::BFloat16* in, c10::BFloat16* out, int64_t first, int64_t n, uint64_t seed, double p);
void ScaleKeptElements(const c10::Half* in, c10::Half* out, int64_t first, int64_t n, uint64_t seed, double p);

// The keep mask (1 kept, 0 dropped, float) of elements [0, numel) under `seed` (for tests).
torch::Tensor HashDropoutKeepMask(uint64_t seed, int64_t numel, double p);

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_HASH_DROPOUT_H_
