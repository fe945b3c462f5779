#include "lib/model/kv_cache.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "lib/model/sparse_attention.h"

namespace attn::model {
namespace {

using torch::indexing::Slice;

constexpr float kMinusInfinity = -std::numeric_limits<float>::infinity();

// Full causal attention of the queries [first, L), as the dense model computes it (q scaled
// before the product, the future masked).
torch::Tensor CausalRows(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, int64_t first) {
  const int64_t L = k.size(2);
  const torch::Tensor scores =
      torch::matmul(q / std::sqrt(static_cast<double>(q.size(3))), k.transpose(-2, -1));
  const torch::Tensor keys = torch::arange(L, q.options().dtype(torch::kLong));
  const torch::Tensor future = keys.unsqueeze(0) > torch::arange(first, L, keys.options()).unsqueeze(1);
  return torch::matmul(torch::softmax(scores.masked_fill(future, kMinusInfinity), -1), v);
}

// One head's queries [first, L) under `pattern`, scoring only each query's allowed keys:
// they are gathered (padded to the longest list) in chunks of queries that bound the memory.
// q: [B, n, Dh]; k, v: [B, L, Dh].
torch::Tensor PatternRowsOfHead(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                const AttentionPattern& pattern, int64_t first) {
  const int64_t L = k.size(1), B = q.size(0), dim = q.size(2);
  const PatternAtLength at(pattern, L);
  std::vector<std::vector<int64_t>> keys;
  for (int64_t i = first; i < L; ++i) keys.push_back(at.Keys(i));
  const double scale = 1.0 / std::sqrt(static_cast<double>(dim));
  constexpr int64_t kGatheredBudget = int64_t{1} << 22;  // elements of gathered keys per chunk
  std::vector<torch::Tensor> out;
  for (int64_t begin = 0; begin < static_cast<int64_t>(keys.size());) {
    int64_t end = begin, longest = 0;
    while (end < static_cast<int64_t>(keys.size())) {
      const int64_t wider = std::max<int64_t>(longest, keys[end].size());
      if (end > begin && (end + 1 - begin) * wider * dim * B > kGatheredBudget) break;
      longest = wider;
      ++end;
    }
    const int64_t n = end - begin;
    torch::Tensor index = torch::zeros({n, longest}, torch::kLong);
    torch::Tensor valid = torch::zeros({n, longest}, torch::kBool);
    auto index_a = index.accessor<int64_t, 2>();
    auto valid_a = valid.accessor<bool, 2>();
    for (int64_t r = 0; r < n; ++r) {
      const std::vector<int64_t>& row = keys[begin + r];
      for (size_t c = 0; c < row.size(); ++c) {
        index_a[r][c] = row[c];
        valid_a[r][c] = true;
      }
    }
    index = index.to(k.device()).reshape({-1});
    valid = valid.to(k.device());
    const torch::Tensor gk = k.index_select(1, index).view({B, n, longest, dim});
    const torch::Tensor gv = v.index_select(1, index).view({B, n, longest, dim});
    const torch::Tensor qr = q.narrow(1, begin, n).unsqueeze(-1);  // [B, n, Dh, 1]
    const torch::Tensor scores = torch::matmul(gk, qr).squeeze(-1) * scale;  // [B, n, longest]
    const torch::Tensor probs = torch::softmax(scores.masked_fill(valid.logical_not(), kMinusInfinity), -1);
    out.push_back(torch::matmul(probs.unsqueeze(2), gv).squeeze(2));  // [B, n, Dh]
    begin = end;
  }
  return torch::cat(out, 1);
}

}  // namespace

int64_t FirstChangedQuery(const std::vector<AttentionPattern>& patterns, int64_t old_len, int64_t new_len) {
  int64_t first = old_len;
  for (const AttentionPattern& p : patterns) {
    if (p.anchors.empty() || old_len == 0) continue;
    const PatternAtLength before(p, old_len), after(p, new_len);
    // A column that came or went changes the queries that see it outside their band only.
    const int64_t beyond_band = before.band() + 1;
    for (const PatternAtLength* at : {&before, &after}) {
      for (const int64_t column : at->anchor_columns()) {
        if (before.IsColumn(column) != after.IsColumn(column)) first = std::min(first, column + beyond_band);
      }
    }
  }
  return first;
}

torch::Tensor AttendRows(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                         const std::vector<AttentionPattern>& patterns, int64_t first) {
  if (patterns.empty()) return CausalRows(q, k, v, first);
  // Every row: the full forward's own kernel.
  if (first == 0) return SparseAttention(q, k, v, patterns, SparseAttentionOptions());
  std::vector<torch::Tensor> heads;
  for (size_t h = 0; h < patterns.size(); ++h) {
    heads.push_back(PatternRowsOfHead(q.select(1, h), k.select(1, h), v.select(1, h), patterns[h], first));
  }
  return torch::stack(heads, 1);
}

void KVCache::Rows::Write(int64_t first, const torch::Tensor& rows) {
  const int64_t end = first + rows.size(dim_);
  if (!buffer_.defined() || buffer_.size(dim_) < end) {
    std::vector<int64_t> shape = rows.sizes().vec();
    shape[dim_] = std::max<int64_t>(end, buffer_.defined() ? 2 * buffer_.size(dim_) : end);
    torch::Tensor grown = torch::empty(shape, rows.options());
    if (buffer_.defined() && first > 0) grown.narrow(dim_, 0, first).copy_(buffer_.narrow(dim_, 0, first));
    buffer_ = grown;
  }
  buffer_.narrow(dim_, first, rows.size(dim_)).copy_(rows);
}

int64_t KVCache::Reusable(const torch::Tensor& tokens, size_t layers) const {
  const int64_t held = length();
  if (held == 0 || layers != layers_.size() || tokens.size(0) != tokens_.size(0) || tokens.size(1) <= held) {
    return 0;
  }
  return torch::equal(tokens.narrow(1, 0, held), tokens_) ? held : 0;
}

torch::Tensor KVCache::Extend(const torch::Tensor& tokens,
                              const std::function<torch::Tensor(const torch::Tensor&, int64_t)>& embed,
                              const std::vector<CachedLayer>& layers) {
  torch::NoGradGuard no_grad;
  const int64_t L = tokens.size(1);
  const int64_t held = Reusable(tokens, layers.size());
  if (held == 0) layers_.assign(layers.size(), LayerState());
  rows_computed_.clear();
  // x holds this layer's input at the positions [first, L) that changed.
  torch::Tensor x = embed(tokens.narrow(1, held, L - held), held);
  int64_t first = held;
  for (size_t l = 0; l < layers.size(); ++l) {
    LayerState& state = layers_[l];
    const int64_t dirty = std::min(first, FirstChangedQuery(layers[l].patterns, held, L));
    if (dirty < first) x = torch::cat({state.input.Get(dirty, first), x}, 1);
    state.input.Write(dirty, x);
    const std::array<torch::Tensor, 3> qkv = layers[l].project(x);
    state.keys.Write(dirty, qkv[1]);
    state.values.Write(dirty, qkv[2]);
    const torch::Tensor attended =
        AttendRows(qkv[0], state.keys.Get(0, L), state.values.Get(0, L), layers[l].patterns, dirty);
    x = layers[l].finish(x, attended);
    first = dirty;
    rows_computed_.push_back(L - dirty);
  }
  tokens_ = tokens.clone();
  return x.select(1, -1);
}

}  // namespace attn::model
