#include "lib/model/sparse_attention.h"

#include <cmath>
#include <limits>
#include <string>

namespace attn::model {
namespace {

void CheckInputs(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                 const std::vector<AttentionPattern>& head_patterns) {
  TORCH_CHECK(q.dim() == 4, "sparse attention: q must be [B, H, L, Dh], got ", q.sizes());
  TORCH_CHECK(k.sizes() == q.sizes() && v.sizes() == q.sizes(),
              "sparse attention: q, k, v must have the same shape, got ", q.sizes(), ", ",
              k.sizes(), ", ", v.sizes());
  TORCH_CHECK(static_cast<int64_t>(head_patterns.size()) == q.size(1), "sparse attention: ",
              head_patterns.size(), " head patterns for ", q.size(1), " heads");
  TORCH_CHECK(q.is_floating_point(), "sparse attention: q, k, v must be floating point");
}

// The original's computation: every score, then the disallowed ones masked out.
torch::Tensor MaskedAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const std::vector<AttentionPattern>& head_patterns,
                              const SparseAttentionOptions& options, torch::Tensor* probs) {
  const int64_t seq_len = q.size(2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  const torch::Tensor allowed = PatternMask(head_patterns, seq_len).to(q.device());
  const torch::Tensor scores = torch::matmul(q, k.transpose(-2, -1)) * scale;
  const torch::Tensor p =
      torch::softmax(scores.masked_fill(allowed.logical_not(), -std::numeric_limits<double>::infinity()), -1);
  if (probs != nullptr) *probs = p;
  const bool drop = options.training && options.dropout > 0.0;
  return torch::matmul(drop ? torch::dropout(p, options.dropout, /*train=*/true) : p, v);
}

}  // namespace

torch::Tensor PatternMask(const std::vector<AttentionPattern>& head_patterns, int64_t seq_len) {
  const torch::Tensor i = torch::arange(seq_len, torch::kLong).unsqueeze(1);
  const torch::Tensor j = torch::arange(seq_len, torch::kLong).unsqueeze(0);
  const torch::Tensor causal = j <= i;
  std::vector<torch::Tensor> heads;
  for (const AttentionPattern p : head_patterns) {
    torch::Tensor m = torch::zeros({seq_len, seq_len}, torch::kBool);
    const int64_t band = PatternBandWidth(p);
    if (band >= 0) m = m.logical_or((i - j) <= band);
    const int64_t stride = PatternColumnStride(p, seq_len);
    if (stride > 0) m = m.logical_or((j % stride == 0).expand({seq_len, seq_len}));
    if (p == AttentionPattern::kGlobal) {
      torch::Tensor columns = torch::zeros({seq_len}, torch::kBool);
      for (const int64_t a : GlobalAnchors(seq_len)) columns[a] = true;
      m = m.logical_or(columns.unsqueeze(0).expand({seq_len, seq_len}));
    }
    heads.push_back(m.logical_and(causal));
  }
  return torch::stack(heads);
}

torch::Tensor SparseAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const std::vector<AttentionPattern>& head_patterns,
                              const SparseAttentionOptions& options, torch::Tensor* probs) {
  CheckInputs(q, k, v, head_patterns);
  // TEMPORARY until the kernel lands (next commits): kKernel computes the masked way.
  return MaskedAttention(q, k, v, head_patterns, options, probs);
}

}  // namespace attn::model
