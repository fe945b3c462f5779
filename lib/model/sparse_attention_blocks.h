// The work plan and per-block arithmetic of the allowed-pairs attention kernel, without
// LibTorch (sparse_attention.cc adds threads, the dropout seed and autograd).
//
// A head's queries are cut into blocks of consecutive rows. Each block computes scores only
// against the keys some of its rows may attend to: the keys [band_begin, row_end) of its band
// (every earlier key for an unbounded window, which is full causal attention: the upper
// triangle is never computed) and, below the band, the few columns every later row may see
// (stride multiples, anchors), gathered. The scores are processed in tiles of keys with a
// running maximum and sum per row (the blockwise softmax of flash attention), so no L x L
// matrix, and no block of probabilities, is ever stored: the forward pass keeps one
// log-sum-exp per row, and the backward pass recomputes the probabilities from it. Dropout
// decisions come from dropout_hash.h, so the backward pass recomputes them too.
#ifndef ATTN_LIB_MODEL_SPARSE_ATTENTION_BLOCKS_H_
#define ATTN_LIB_MODEL_SPARSE_ATTENTION_BLOCKS_H_

#include <cstdint>
#include <vector>

#include "lib/model/attention_patterns.h"

namespace attn::model::sparse_blocks {

struct QueryBlock {
  int64_t row_begin = 0;  // queries [row_begin, row_end)
  int64_t row_end = 0;
  // Keys below band_begin that every row i >= key may attend to (stride and anchor columns),
  // ascending. Without a band they reach up to row_end (causality masks the last ones).
  std::vector<int64_t> columns;
  // The band's keys [band_begin, row_end), computed as one range; pairs in it are allowed
  // when j <= i and (i - j <= band or j is a column). band_begin == row_end without a band.
  int64_t band_begin = 0;
  // Query-key pairs this block computes: its rows times its keys.
  int64_t Pairs() const {
    return (row_end - row_begin) * (static_cast<int64_t>(columns.size()) + row_end - band_begin);
  }
};

struct HeadPlan {
  int64_t seq_len = 0;
  int64_t band = -1;               // PatternAtLength::band()
  std::vector<uint8_t> is_column;  // [seq_len]: PatternAtLength::IsColumn
  std::vector<QueryBlock> blocks;
  int64_t pairs = 0;  // computed pairs of all blocks: the head's work

  bool Allows(int64_t i, int64_t j) const { return j <= i && (i - j <= band || is_column[j]); }
};

// Query rows per block for a pattern: small for the narrow bands (less wasted work in the
// band's corners), larger where many rows share the same keys.
int64_t BlockRows(const PatternAtLength& p);

HeadPlan PlanHead(const AttentionPattern& p, int64_t seq_len);

// Pointers into one (batch, head) slice: q, k, v, out and gradients are [L, dim] row-major.
template <typename T>
struct HeadSlice {
  const T* q;
  const T* k;
  const T* v;
  int64_t dim;
  T scale;  // 1/sqrt(dim)
  // Dropout on the probabilities: off when drop_threshold == 0; otherwise a pair is kept
  // when dropout_hash::Keep(RowKey(seed, slice, i), j, drop_threshold), and kept
  // probabilities are multiplied by keep_scale = 1 / (1 - p).
  uint32_t drop_threshold;
  uint64_t seed;
  uint64_t slice;
  T keep_scale;
};

// Forward of one block: its output rows into out ([L, dim] of the slice) and each row's
// log-sum-exp of the allowed scores into lse ([L]); -inf (and a zero output row) for a row
// that may attend to no key.
template <typename T>
void ForwardBlock(const HeadSlice<T>& s, const HeadPlan& plan, const QueryBlock& block, T* out, T* lse);

// Backward of a whole head (its blocks share keys, so one thread per head): from out, lse
// and dout, writes dq and accumulates dk and dv (zeroed by the caller).
template <typename T>
void BackwardHead(const HeadSlice<T>& s, const HeadPlan& plan, const T* out, const T* lse, const T* dout, T* dq,
                  T* dk, T* dv);

// The head's probabilities before dropout, exp(score - lse), into a zeroed [L, L] row-major
// matrix (exactly 0 where the pattern does not allow the pair).
template <typename T>
void WriteProbabilities(const HeadSlice<T>& s, const HeadPlan& plan, const T* lse, T* dense);

}  // namespace attn::model::sparse_blocks

#endif  // ATTN_LIB_MODEL_SPARSE_ATTENTION_BLOCKS_H_
