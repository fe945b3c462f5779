// Generation's cached forward on the CPU, as plain loops over float matrices: the same
// computation as KVCache (lib/model/kv_cache.h) without LibTorch's operations. For one new
// byte of a small model those cost far more than their arithmetic: the demo's model needs
// about 0.6 MFLOP per byte, LibTorch dispatches about 100 operations for it (a few
// microseconds each) and OpenBLAS packs whole weight matrices for one-row products.
//
// Extending tokens t[0..L) gives (to float rounding) the model's Forward(t)[:, -1] at length
// L. As KVCache does, a call whose tokens extend the previous call's computes only the new
// positions (plus, under anchored patterns, the suffix of queries whose allowed keys moved:
// FirstChangedQuery); any other call (a window that slid) rebuilds from its tokens.
#ifndef ATTN_LIB_MODEL_DECODER_H_
#define ATTN_LIB_MODEL_DECODER_H_

#include <cstdint>
#include <vector>

#include "lib/model/decoder_weights.h"

namespace attn::model {

class Decoder {
 public:
  explicit Decoder(DecoderWeights weights);

  // The logits [256] of the byte after `tokens` (bytes 0..255, 1 <= size <= the rows of the
  // weights' positions; std::invalid_argument otherwise). Valid until the next call.
  const Eigen::RowVectorXf& Next(const std::vector<int64_t>& tokens);

  // How many rows the last call computed in each layer.
  const std::vector<int64_t>& rows_computed() const { return rows_computed_; }

 private:
  struct LayerState {
    RowMatrix input, keys, values;  // [capacity, d]: rows [0, tokens_.size()) held
  };

  // How many leading positions of `tokens` the held rows serve (0: rebuild).
  int64_t Reusable(const std::vector<int64_t>& tokens) const;
  // The layers' input for tokens[first, end).
  RowMatrix Embed(const std::vector<int64_t>& tokens, int64_t first) const;
  // Layer `l`'s attention output of queries q (the rows [first, L)) over the held keys.
  RowMatrix Attend(size_t l, const RowMatrix& q, int64_t first, int64_t L) const;

  DecoderWeights w_;
  int64_t d_, head_dim_;
  std::vector<int64_t> tokens_;
  std::vector<LayerState> state_;
  std::vector<int64_t> rows_computed_;
  Eigen::RowVectorXf logits_;
};

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_DECODER_H_
