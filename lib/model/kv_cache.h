// Incremental forward for generation: each layer's input, keys and values at the positions
// already seen, so that one more byte costs one row per layer instead of the whole window.
//
// What it computes is defined by the full forward: extending tokens t[0..L) gives exactly
// (to float rounding) Forward(t)[:, -1], the model run on all L positions at length L.
// Patterns with global anchors (min(L-1, floor(r (L-1)))) move their anchor columns as L
// grows, which changes the keys some earlier queries may attend to and so their outputs,
// and through them every later layer's keys and values. The cache recomputes exactly that:
// in each layer the suffix of queries from the first one whose input, attended keys or
// allowed set changed (FirstChangedQuery); with bands, strides and full causal attention
// that is only the new positions. Eval mode only (no dropout), no autograd, any float type.
#ifndef ATTN_LIB_MODEL_KV_CACHE_H_
#define ATTN_LIB_MODEL_KV_CACHE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "lib/model/attention_patterns.h"
#include "torch/torch.h"

namespace attn::model {

// One layer as the cached forward runs it: a pre-norm attention whose projections and
// remainder the model supplies, on any rows of the sequence.
struct CachedLayer {
  std::vector<AttentionPattern> patterns;  // one per head; empty: full causal attention
  // Input rows [B, n, d] -> q, k, v [B, H, n, Dh] (q not yet scaled).
  std::function<std::array<torch::Tensor, 3>(const torch::Tensor&)> project;
  // Input rows [B, n, d] and their attention output [B, H, n, Dh] -> the layer's output rows.
  std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> finish;
};

// A pre-norm layer (both transformers' blocks): x + attention(norm1(x)) and the rest, with
// self_attn->Project and Output around the attention and Residuals for the rest.
template <typename LayerImpl>
CachedLayer PreNormCachedLayer(LayerImpl* layer, const torch::Tensor& head_mask) {
  return {layer->self_attn->patterns(),
          [layer](const torch::Tensor& x) { return layer->self_attn->Project(layer->norm1(x)); },
          [layer, head_mask](const torch::Tensor& x, const torch::Tensor& heads_out) {
            return layer->Residuals(x, layer->self_attn->Output(heads_out, head_mask));
          }};
}

class KVCache {
 public:
  // tokens [B, L]: the new sequence. `embed(new_tokens, first)` gives the layers' input for
  // the tokens at positions [first, L) ([B, L - first, d]); Extend asks only for the
  // positions it does not hold.
  // Returns the last layer's output at the last position [B, d]. The cache is reused when
  // `tokens` extends the tokens of the previous call (same batch, same layers); otherwise (a
  // window that slid, so every position moved) it is rebuilt from `tokens`.
  torch::Tensor Extend(const torch::Tensor& tokens,
                       const std::function<torch::Tensor(const torch::Tensor&, int64_t)>& embed,
                       const std::vector<CachedLayer>& layers);

  // Positions held (0 after a rebuild is needed) and how many rows the last Extend
  // computed in each layer (for tests: 1 per layer when only one byte was new and no
  // pattern moved).
  int64_t length() const { return tokens_.defined() ? tokens_.size(1) : 0; }
  const std::vector<int64_t>& rows_computed() const { return rows_computed_; }

 private:
  // A tensor that grows along one dimension, with spare capacity so appending is O(rows).
  class Rows {
   public:
    explicit Rows(int64_t dim) : dim_(dim) {}
    // Writes `rows` at position `first` along dim_, keeping [0, first) and dropping the rest.
    void Write(int64_t first, const torch::Tensor& rows);
    // The held positions [begin, end).
    torch::Tensor Get(int64_t begin, int64_t end) const { return buffer_.narrow(dim_, begin, end - begin); }

   private:
    int64_t dim_;
    torch::Tensor buffer_;
  };
  struct LayerState {
    Rows input{1}, keys{2}, values{2};  // [B, n, d], [B, H, n, Dh]
  };

  // How many leading positions of `tokens` the cache holds and may reuse (0: rebuild).
  int64_t Reusable(const torch::Tensor& tokens, size_t layers) const;

  torch::Tensor tokens_;
  std::vector<LayerState> layers_;
  std::vector<int64_t> rows_computed_;
};

// The first query i < old_len whose allowed keys under `patterns` (one per head; empty:
// full causal) differ between lengths old_len and new_len (> old_len); old_len when none
// does. Only anchor columns move with the length (bands and strides do not, and a band
// clamped to L - 1 still covers every earlier key of the queries both lengths share), and a
// column that moved matters to the queries that see it beyond their band.
int64_t FirstChangedQuery(const std::vector<AttentionPattern>& patterns, int64_t old_len, int64_t new_len);

// Attention of the queries [first, L) (q: [B, H, L - first, Dh]) over all keys and values
// ([B, H, L, Dh]) at length L under `patterns` (empty: full causal), scaled by 1/sqrt(Dh):
// the rows [first, L) of the full computation. A single query scores only its allowed keys.
torch::Tensor AttendRows(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                         const std::vector<AttentionPattern>& patterns, int64_t first);

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_KV_CACHE_H_
