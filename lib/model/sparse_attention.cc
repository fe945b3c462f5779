#include "lib/model/sparse_attention.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "ATen/Parallel.h"
#include "absl/status/status.h"
#include "lib/model/dropout_hash.h"
#include "lib/model/hash_dropout.h"
#include "lib/model/sparse_attention_blocks.h"
#include "torch/csrc/autograd/custom_function.h"

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


// The head patterns as one flat list of numbers, so that autograd can keep them for the
// backward pass: per head window (-2 for none), stride, anchor count, anchors.
std::vector<double> EncodePatterns(const std::vector<AttentionPattern>& patterns) {
  std::vector<double> code;
  for (const AttentionPattern& p : patterns) {
    code.push_back(p.window.has_value() ? static_cast<double>(*p.window) : -2.0);
    code.push_back(static_cast<double>(p.stride));
    code.push_back(static_cast<double>(p.anchors.size()));
    code.insert(code.end(), p.anchors.begin(), p.anchors.end());
  }
  return code;
}

std::vector<AttentionPattern> DecodePatterns(const std::vector<double>& code) {
  std::vector<AttentionPattern> patterns;
  for (size_t at = 0; at < code.size();) {
    AttentionPattern p;
    if (code[at] != -2.0) p.window = static_cast<int64_t>(code[at]);
    p.stride = static_cast<int64_t>(code[at + 1]);
    const auto anchors = static_cast<size_t>(code[at + 2]);
    p.anchors.assign(code.begin() + at + 3, code.begin() + at + 3 + anchors);
    at += 3 + anchors;
    patterns.push_back(std::move(p));
  }
  return patterns;
}

// One plan per head; heads with the same pattern share it.
std::vector<sparse_blocks::HeadPlan> PlanHeads(const std::vector<AttentionPattern>& patterns, int64_t seq_len) {
  std::vector<sparse_blocks::HeadPlan> plans;
  for (size_t h = 0; h < patterns.size(); ++h) {
    size_t same = 0;
    while (same < h && patterns[same] != patterns[h]) ++same;
    plans.push_back(same < h ? plans[same] : sparse_blocks::PlanHead(patterns[h], seq_len));
  }
  return plans;
}

// Runs fn(task) for tasks 0..costs.size()-1 on LibTorch's threads, each thread taking the
// next task as it finishes one, most costly first: heads and blocks differ in work (a
// local8 head against a global one, the first block of a causal head against the last),
// so an even split of the task range would leave threads idle.
template <typename Fn>
void RunTasks(const std::vector<int64_t>& costs, const Fn& fn) {
  std::vector<int64_t> order(costs.size());
  for (size_t t = 0; t < order.size(); ++t) order[t] = t;
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return costs[a] > costs[b]; });
  std::atomic<size_t> next{0};
  const int64_t workers = std::min<int64_t>(at::get_num_threads(), order.size());
  at::parallel_for(0, workers, 1, [&](int64_t begin, int64_t end) {
    for (int64_t w = begin; w < end; ++w) {
      for (size_t t = next++; t < order.size(); t = next++) fn(order[t]);
    }
  });
}

template <typename T>
sparse_blocks::HeadSlice<T> Slice(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  double dropout, uint64_t seed, int64_t bh) {
  const int64_t seq_len = q.size(2), dim = q.size(3);
  const int64_t rows = bh * seq_len * dim;
  return {q.data_ptr<T>() + rows,
          k.data_ptr<T>() + rows,
          v.data_ptr<T>() + rows,
          dim,
          static_cast<T>(1.0 / std::sqrt(static_cast<double>(dim))),
          dropout_hash::DropThreshold(dropout),
          seed,
          static_cast<uint64_t>(bh),
          static_cast<T>(1.0 / (1.0 - dropout))};
}

// The allowed-pairs attention as an autograd function. Keeps q, k, v, the output and one
// log-sum-exp per row for the backward pass, which recomputes the probabilities tile by
// tile: memory O(L), never O(L^2) or O(allowed pairs).
class SparseAttentionFunction : public torch::autograd::Function<SparseAttentionFunction> {
 public:
  // Returns {out [B, H, L, D], log-sum-exp of each row's scores [B, H, L] (not differentiable)}.
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx,
                                                const torch::Tensor& q_in, const torch::Tensor& k_in,
                                                const torch::Tensor& v_in, std::vector<double> pattern_code,
                                                double dropout) {
    const torch::Tensor q = q_in.contiguous(), k = k_in.contiguous(), v = v_in.contiguous();
    const int64_t batch = q.size(0), heads = q.size(1), seq_len = q.size(2), dim = q.size(3);
    const auto plans = PlanHeads(DecodePatterns(pattern_code), seq_len);
    const uint64_t seed = dropout > 0.0 ? DrawDropoutSeed() : 0;
    torch::Tensor out = torch::empty_like(q);
    torch::Tensor lse = torch::empty({batch, heads, seq_len}, q.options());
    // Tasks: every (batch * heads + head, block).
    std::vector<std::pair<int64_t, int64_t>> tasks;
    std::vector<int64_t> costs;
    for (int64_t bh = 0; bh < batch * heads; ++bh) {
      const auto& blocks = plans[bh % heads].blocks;
      for (size_t blk = 0; blk < blocks.size(); ++blk) {
        tasks.push_back({bh, blk});
        costs.push_back(blocks[blk].Pairs());
      }
    }
    AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "sparse_attention_forward", [&] {
      RunTasks(costs, [&](int64_t t) {
        const auto [bh, blk] = tasks[t];
        const auto& plan = plans[bh % heads];
        sparse_blocks::ForwardBlock<scalar_t>(Slice<scalar_t>(q, k, v, dropout, seed, bh), plan,
                                              plan.blocks[blk], out.data_ptr<scalar_t>() + bh * seq_len * dim,
                                              lse.data_ptr<scalar_t>() + bh * seq_len);
      });
    });
    ctx->save_for_backward({q, k, v, out, lse});
    ctx->saved_data["patterns"] = pattern_code;
    ctx->saved_data["dropout"] = dropout;
    ctx->saved_data["seed"] = static_cast<int64_t>(seed);
    ctx->mark_non_differentiable({lse});
    return {out, lse};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &q = saved[0], &k = saved[1], &v = saved[2], &out = saved[3], &lse = saved[4];
    const double dropout = ctx->saved_data["dropout"].toDouble();
    const auto seed = static_cast<uint64_t>(ctx->saved_data["seed"].toInt());
    const int64_t batch = q.size(0), heads = q.size(1), seq_len = q.size(2), dim = q.size(3);
    const auto plans = PlanHeads(DecodePatterns(ctx->saved_data["patterns"].toDoubleVector()), seq_len);
    const torch::Tensor dout = grads[0].defined() ? grads[0].contiguous() : torch::zeros_like(q);
    torch::Tensor dq = torch::empty_like(q), dk = torch::zeros_like(k), dv = torch::zeros_like(v);
    std::vector<int64_t> costs;
    for (int64_t bh = 0; bh < batch * heads; ++bh) costs.push_back(plans[bh % heads].pairs);
    AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "sparse_attention_backward", [&] {
      RunTasks(costs, [&](int64_t bh) {
        const int64_t rows = bh * seq_len * dim;
        sparse_blocks::BackwardHead<scalar_t>(
            Slice<scalar_t>(q, k, v, dropout, seed, bh), plans[bh % heads], out.data_ptr<scalar_t>() + rows,
            lse.data_ptr<scalar_t>() + bh * seq_len, dout.data_ptr<scalar_t>() + rows, dq.data_ptr<scalar_t>() + rows,
            dk.data_ptr<scalar_t>() + rows, dv.data_ptr<scalar_t>() + rows);
      });
    });
    return {dq, dk, dv, torch::Tensor(), torch::Tensor()};
  }
};

torch::Tensor KernelAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const std::vector<AttentionPattern>& head_patterns,
                              const SparseAttentionOptions& options, torch::Tensor* probs) {
  // The kernel reads q, k, v through host pointers (Eigen blocks): device memory must
  // never be read as host memory.
  TORCH_CHECK(q.is_cpu() && k.is_cpu() && v.is_cpu(), "sparse attention: the kernel computes on the CPU only, and q, k, v ",
              "are on ", q.device(), "; use `attention`=masked on a GPU (docs/design.md, \"What a CUDA build lacks\")");
  // Half-precision inputs (autocast) are computed in float and returned in their type.
  const bool native = q.scalar_type() == torch::kFloat || q.scalar_type() == torch::kDouble;
  const auto as_computed = [&](const torch::Tensor& x) { return native ? x : x.to(torch::kFloat); };
  const double dropout = options.training ? options.dropout : 0.0;
  const torch::Tensor qc = as_computed(q), kc = as_computed(k), vc = as_computed(v);
  const auto results = SparseAttentionFunction::apply(qc, kc, vc, EncodePatterns(head_patterns), dropout);
  if (probs != nullptr) {
    const int64_t batch = q.size(0), heads = q.size(1), seq_len = q.size(2);
    const auto plans = PlanHeads(head_patterns, seq_len);
    const torch::Tensor lse = results[1];
    const torch::Tensor qd = qc.contiguous(), kd = kc.contiguous(), vd = vc.contiguous();
    *probs = torch::zeros({batch, heads, seq_len, seq_len}, lse.options());
    std::vector<int64_t> costs;
    for (int64_t bh = 0; bh < batch * heads; ++bh) costs.push_back(plans[bh % heads].pairs);
    AT_DISPATCH_FLOATING_TYPES(lse.scalar_type(), "sparse_attention_probs", [&] {
      RunTasks(costs, [&](int64_t bh) {
        sparse_blocks::WriteProbabilities<scalar_t>(Slice<scalar_t>(qd, kd, vd, 0.0, 0, bh), plans[bh % heads],
                                                    lse.data_ptr<scalar_t>() + bh * seq_len,
                                                    probs->data_ptr<scalar_t>() + bh * seq_len * seq_len);
      });
    });
    if (!native) *probs = probs->to(q.scalar_type());
  }
  return native ? results[0] : results[0].to(q.scalar_type());
}

}  // namespace

absl::StatusOr<SparseAttentionImpl> ParseSparseAttentionImpl(const std::string& name) {
  if (name == "kernel") return SparseAttentionImpl::kKernel;
  if (name == "masked") return SparseAttentionImpl::kMasked;
  return absl::InvalidArgumentError("attention '" + name +
                                    "' is not an implementation: use kernel (allowed pairs only) "
                                    "or masked (the original's dense masked computation)");
}

std::string SparseAttentionImplName(SparseAttentionImpl impl) {
  return impl == SparseAttentionImpl::kMasked ? "masked" : "kernel";
}

torch::Tensor PatternMask(const std::vector<AttentionPattern>& head_patterns, int64_t seq_len) {
  const torch::Tensor i = torch::arange(seq_len, torch::kLong).unsqueeze(1);
  const torch::Tensor j = torch::arange(seq_len, torch::kLong).unsqueeze(0);
  std::vector<torch::Tensor> heads;
  for (const AttentionPattern& pattern : head_patterns) {
    const PatternAtLength p(pattern, seq_len);
    torch::Tensor columns = torch::zeros({seq_len}, torch::kBool);
    for (int64_t c = 0; c < seq_len; ++c) {
      if (p.IsColumn(c)) columns[c] = true;
    }
    heads.push_back(((i - j) <= p.band()).logical_or(columns.unsqueeze(0)).logical_and(j <= i));
  }
  return torch::stack(heads);
}

torch::Tensor SparseAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const std::vector<AttentionPattern>& head_patterns,
                              const SparseAttentionOptions& options, torch::Tensor* probs) {
  CheckInputs(q, k, v, head_patterns);
  if (options.impl == SparseAttentionImpl::kMasked) {
    return MaskedAttention(q, k, v, head_patterns, options, probs);
  }
  return KernelAttention(q, k, v, head_patterns, options, probs);
}

}  // namespace attn::model
