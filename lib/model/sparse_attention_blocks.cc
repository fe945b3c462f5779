#include "lib/model/sparse_attention_blocks.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "Eigen/Core"

namespace attn::model::sparse_blocks {
namespace {

template <typename T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using MapMatrix = Eigen::Map<Matrix<T>>;
template <typename T>
using ConstMapMatrix = Eigen::Map<const Matrix<T>>;

bool Allowed(const QueryBlock& block, int64_t band, int64_t i, size_t c) {
  const int64_t j = block.keys[c];
  return j <= i && (block.any_later_row[c] || i - j <= band);
}

// Per-thread scratch, grown as needed and reused across blocks.
template <typename T>
T* Scratch(int slot, size_t size) {
  thread_local std::vector<T> buffers[3];
  if (buffers[slot].size() < size) buffers[slot].resize(size);
  return buffers[slot].data();
}

// Copies the rows `keys` of a [L, dim] matrix into a dense keys x dim matrix.
template <typename T>
MapMatrix<T> Gather(int slot, const T* rows, const std::vector<int64_t>& keys, int64_t dim) {
  T* buffer = Scratch<T>(slot, keys.size() * dim);
  for (size_t c = 0; c < keys.size(); ++c) {
    std::memcpy(buffer + c * dim, rows + keys[c] * dim, dim * sizeof(T));
  }
  return MapMatrix<T>(buffer, keys.size(), dim);
}

// The block's probabilities after dropout (the probabilities themselves without dropout).
template <typename T>
ConstMapMatrix<T> DroppedProbs(const HeadSlice<T>& s, const QueryBlock& block, const T* probs) {
  const int64_t n = (block.row_end - block.row_begin) * block.keys.size();
  const T* p = probs + block.offset;
  if (s.keep != nullptr) {
    T* dropped = Scratch<T>(2, n);
    const uint8_t* keep = s.keep + block.offset;
    for (int64_t x = 0; x < n; ++x) dropped[x] = keep[x] ? p[x] * s.keep_scale : T(0);
    p = dropped;
  }
  return ConstMapMatrix<T>(p, block.row_end - block.row_begin, block.keys.size());
}

}  // namespace

int64_t BlockRows(const PatternAtLength& p) {
  if (p.band() < 0 || p.band() > 32) return 64;
  return p.band() <= 16 ? 16 : 32;
}

HeadPlan PlanHead(const AttentionPattern& pattern, int64_t seq_len) {
  const PatternAtLength p(pattern, seq_len);
  HeadPlan plan;
  plan.band = p.band();
  const int64_t rows = BlockRows(p);
  for (int64_t r0 = 0; r0 < seq_len; r0 += rows) {
    QueryBlock block;
    block.row_begin = r0;
    block.row_end = std::min(seq_len, r0 + rows);
    // Columns below the band (all of them without a band) that later rows may see.
    const int64_t band_begin = plan.band >= 0 ? std::max<int64_t>(0, r0 - plan.band) : block.row_end;
    for (int64_t j = 0; j < band_begin; ++j) {
      if (p.IsColumn(j)) {
        block.keys.push_back(j);
        block.any_later_row.push_back(1);
      }
    }
    for (int64_t j = band_begin; j < block.row_end; ++j) {
      block.keys.push_back(j);
      block.any_later_row.push_back(p.IsColumn(j));
    }
    block.offset = plan.size;
    plan.size += (block.row_end - block.row_begin) * static_cast<int64_t>(block.keys.size());
    plan.blocks.push_back(std::move(block));
  }
  return plan;
}

template <typename T>
void ForwardBlock(const HeadSlice<T>& s, const HeadPlan& plan, const QueryBlock& block, T* probs,
                  T* out) {
  const int64_t rows = block.row_end - block.row_begin;
  const int64_t nk = block.keys.size();
  const ConstMapMatrix<T> q(s.q + block.row_begin * s.dim, rows, s.dim);
  const MapMatrix<T> k = Gather<T>(0, s.k, block.keys, s.dim);
  const MapMatrix<T> v = Gather<T>(1, s.v, block.keys, s.dim);
  MapMatrix<T> p(probs + block.offset, rows, nk);
  p.noalias() = q * k.transpose();
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t i = block.row_begin + r;
    T* row = p.data() + r * nk;
    T max = -std::numeric_limits<T>::infinity();
    for (int64_t c = 0; c < nk; ++c) {
      row[c] = Allowed(block, plan.band, i, c) ? row[c] * s.scale
                                               : -std::numeric_limits<T>::infinity();
      max = std::max(max, row[c]);
    }
    T sum = 0;
    for (int64_t c = 0; c < nk; ++c) sum += (row[c] = std::exp(row[c] - max));
    const T inverse = T(1) / sum;
    for (int64_t c = 0; c < nk; ++c) row[c] *= inverse;
  }
  MapMatrix<T>(out + block.row_begin * s.dim, rows, s.dim).noalias() =
      DroppedProbs(s, block, probs) * v;
}

template <typename T>
void BackwardQueryBlock(const HeadSlice<T>& s, const QueryBlock& block, const T* probs,
                        const T* dout, T* dscores, T* dq) {
  const int64_t rows = block.row_end - block.row_begin;
  const int64_t nk = block.keys.size();
  const ConstMapMatrix<T> dO(dout + block.row_begin * s.dim, rows, s.dim);
  const MapMatrix<T> k = Gather<T>(0, s.k, block.keys, s.dim);
  const MapMatrix<T> v = Gather<T>(1, s.v, block.keys, s.dim);
  MapMatrix<T> ds(dscores + block.offset, rows, nk);
  ds.noalias() = dO * v.transpose();  // gradient of the dropped probabilities
  const T* p = probs + block.offset;
  const uint8_t* keep = s.keep != nullptr ? s.keep + block.offset : nullptr;
  for (int64_t r = 0; r < rows; ++r) {
    T* row = ds.data() + r * nk;
    const T* prow = p + r * nk;
    if (keep != nullptr) {
      const uint8_t* krow = keep + r * nk;
      for (int64_t c = 0; c < nk; ++c) row[c] = krow[c] ? row[c] * s.keep_scale : T(0);
    }
    // Softmax backward: dS = P * (dP - sum(dP * P)).
    T dot = 0;
    for (int64_t c = 0; c < nk; ++c) dot += row[c] * prow[c];
    for (int64_t c = 0; c < nk; ++c) row[c] = prow[c] * (row[c] - dot);
  }
  MapMatrix<T> dQ(dq + block.row_begin * s.dim, rows, s.dim);
  dQ.noalias() = ds * k;
  dQ *= s.scale;
}

template <typename T>
void BackwardKeysHead(const HeadSlice<T>& s, const HeadPlan& plan, const T* probs,
                      const T* dscores, const T* dout, T* dk, T* dv) {
  for (const QueryBlock& block : plan.blocks) {
    const int64_t rows = block.row_end - block.row_begin;
    const int64_t nk = block.keys.size();
    const ConstMapMatrix<T> q(s.q + block.row_begin * s.dim, rows, s.dim);
    const ConstMapMatrix<T> dO(dout + block.row_begin * s.dim, rows, s.dim);
    const ConstMapMatrix<T> ds(dscores + block.offset, rows, nk);
    MapMatrix<T> dk_block(Scratch<T>(0, nk * s.dim), nk, s.dim);
    MapMatrix<T> dv_block(Scratch<T>(1, nk * s.dim), nk, s.dim);
    dk_block.noalias() = ds.transpose() * q;
    dv_block.noalias() = DroppedProbs(s, block, probs).transpose() * dO;
    for (int64_t c = 0; c < nk; ++c) {
      T* dk_row = dk + block.keys[c] * s.dim;
      T* dv_row = dv + block.keys[c] * s.dim;
      const T* dk_src = dk_block.data() + c * s.dim;
      const T* dv_src = dv_block.data() + c * s.dim;
      for (int64_t d = 0; d < s.dim; ++d) {
        dk_row[d] += s.scale * dk_src[d];
        dv_row[d] += dv_src[d];
      }
    }
  }
}

template <typename T>
void ScatterProbs(const HeadPlan& plan, int64_t seq_len, const T* probs, T* dense) {
  for (const QueryBlock& block : plan.blocks) {
    const int64_t nk = block.keys.size();
    for (int64_t i = block.row_begin; i < block.row_end; ++i) {
      const T* row = probs + block.offset + (i - block.row_begin) * nk;
      for (int64_t c = 0; c < nk; ++c) dense[i * seq_len + block.keys[c]] = row[c];
    }
  }
}

#define ATTN_INSTANTIATE(T)                                                                        \
  template void ForwardBlock<T>(const HeadSlice<T>&, const HeadPlan&, const QueryBlock&, T*, T*); \
  template void BackwardQueryBlock<T>(const HeadSlice<T>&, const QueryBlock&, const T*, const T*, \
                                      T*, T*);                                                    \
  template void BackwardKeysHead<T>(const HeadSlice<T>&, const HeadPlan&, const T*, const T*,     \
                                    const T*, T*, T*);                                            \
  template void ScatterProbs<T>(const HeadPlan&, int64_t, const T*, T*);
ATTN_INSTANTIATE(float)
ATTN_INSTANTIATE(double)
#undef ATTN_INSTANTIATE

}  // namespace attn::model::sparse_blocks
