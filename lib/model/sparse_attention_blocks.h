// The work plan and per-block arithmetic of the sparse attention kernel, without LibTorch
// (sparse_attention.cc adds threads, dropout masks and autograd).
//
// A head's queries are cut into blocks of consecutive rows. Each block computes scores only
// against the keys some of its rows may attend to: its band [first row - band, last row] and
// the few columns every later row may see (stride multiples, global anchors). Scores of a
// block are a dense rows x keys matrix (disallowed pairs inside it get probability 0), so
// the work and the score memory are O(L x keys per row), never O(L^2).
#ifndef ATTN_LIB_MODEL_SPARSE_ATTENTION_BLOCKS_H_
#define ATTN_LIB_MODEL_SPARSE_ATTENTION_BLOCKS_H_

#include <cstdint>
#include <vector>

#include "lib/model/attention_patterns.h"

namespace attn::model::sparse_blocks {

struct QueryBlock {
  int64_t row_begin = 0;  // queries [row_begin, row_end)
  int64_t row_end = 0;
  std::vector<int64_t> keys;  // key columns computed for this block, ascending
  // Per key: 1 if every query i >= key may attend to it (stride column, anchor), 0 if only
  // queries within the band may.
  std::vector<uint8_t> any_later_row;
  int64_t offset = 0;  // of this block's rows x keys scores in the head's score buffer
};

struct HeadPlan {
  int64_t band = -1;  // PatternAtLength::band()
  std::vector<QueryBlock> blocks;
  int64_t size = 0;  // scores in the head's buffer
};

// Query rows per block for a pattern: small for the narrow bands (less wasted work in the
// band's corners), larger where many rows share the same gathered columns.
int64_t BlockRows(const PatternAtLength& p);

HeadPlan PlanHead(const AttentionPattern& p, int64_t seq_len);

// Pointers into one (batch, head) slice: q, k, v, out and gradients are [L, D] row-major;
// probs, keep and dscores are in the head's score-buffer layout.
template <typename T>
struct HeadSlice {
  const T* q;
  const T* k;
  const T* v;
  int64_t dim;
  T scale;               // 1/sqrt(dim)
  const uint8_t* keep;   // dropout keep mask, or nullptr without dropout
  T keep_scale;          // 1 / (1 - dropout)
};

// Forward of one block: writes its probabilities (before dropout) into probs + offset and
// its output rows into out.
template <typename T>
void ForwardBlock(const HeadSlice<T>& s, const HeadPlan& plan, const QueryBlock& block, T* probs,
                  T* out);

// Backward, first half, for one block: from the probabilities and dout, writes the score
// gradients into dscores + offset and the block's rows of dq.
template <typename T>
void BackwardQueryBlock(const HeadSlice<T>& s, const QueryBlock& block, const T* probs,
                        const T* dout, T* dscores, T* dq);

// Backward, second half, for a whole head (blocks share keys, so one thread per head):
// accumulates dk and dv (zeroed by the caller) from the score gradients.
template <typename T>
void BackwardKeysHead(const HeadSlice<T>& s, const HeadPlan& plan, const T* probs,
                      const T* dscores, const T* dout, T* dk, T* dv);

// Writes a head's probabilities into a zeroed [L, L] row-major matrix.
template <typename T>
void ScatterProbs(const HeadPlan& plan, int64_t seq_len, const T* probs, T* dense);

}  // namespace attn::model::sparse_blocks

#endif  // ATTN_LIB_MODEL_SPARSE_ATTENTION_BLOCKS_H_
