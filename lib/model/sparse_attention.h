// Multi-head attention restricted to attention patterns (lib/model/attention_patterns.h), as
// the original computed it (dense scores, masked) and as a kernel that computes only the
// allowed (query, key) pairs, forward and backward.
#ifndef ATTN_LIB_MODEL_SPARSE_ATTENTION_H_
#define ATTN_LIB_MODEL_SPARSE_ATTENTION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/model/attention_patterns.h"
#include "torch/torch.h"

namespace attn::model {

enum class SparseAttentionImpl {
  kMasked,  // full L x L scores with the disallowed pairs masked: the original's cost
  kKernel,  // only the allowed pairs: work and score memory O(L x allowed keys per row)
};

// "kernel" or "masked" (the --attention flag's values) and back.
absl::StatusOr<SparseAttentionImpl> ParseSparseAttentionImpl(const std::string& name);
std::string SparseAttentionImplName(SparseAttentionImpl impl);

struct SparseAttentionOptions {
  double dropout = 0.0;  // on the probabilities, when training
  bool training = false;
  SparseAttentionImpl impl = SparseAttentionImpl::kKernel;
};

// q, k, v: [B, H, L, Dh] float. Scaled dot-product attention (scale 1/sqrt(Dh)) where head h
// may only attend to the keys head_patterns[h] allows; dropout on the probabilities when
// training. Returns [B, H, L, Dh]. If probs != nullptr, also returns the probabilities
// [B, H, L, L] (exactly 0 where not allowed; before dropout). Bad shapes throw c10::Error.
torch::Tensor SparseAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const std::vector<AttentionPattern>& head_patterns,
                              const SparseAttentionOptions& options, torch::Tensor* probs = nullptr);

// [H, L, L] bool: true where head h's pattern allows (query i, key j).
torch::Tensor PatternMask(const std::vector<AttentionPattern>& head_patterns, int64_t seq_len);

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_SPARSE_ATTENTION_H_
