#include "lib/model/sparse_attention_blocks.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "Eigen/Core"
#include "lib/model/dropout_hash.h"

namespace attn::model::sparse_blocks {
namespace {

template <typename T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using MapMatrix = Eigen::Map<Matrix<T>>;
template <typename T>
using ConstMapMatrix = Eigen::Map<const Matrix<T>>;

// Keys per tile: the scores of a tile (rows x keys) and its keys and values stay in cache.
constexpr int64_t kKeyTile = 64;

template <typename T>
constexpr T kNegativeInfinity = -std::numeric_limits<T>::infinity();

// A scratch buffer aligned to Eigen's widest packet. Eigen's vectorised reductions (a
// row's sum of exponentials, dot products) start their packets at the first aligned element
// of a Map and add the elements before it separately, so their rounding depends on the
// buffer's address modulo the packet width. std::vector's memory (malloc, 16 bytes) is
// aligned to 32 or not depending on what the process allocated before, so the same inputs
// gave other bits in a resumed run or after reading a pattern file; aligned buffers (and
// LibTorch's tensors, aligned to 64) make every address modulo the packet width a function
// of the shapes alone.
template <typename T>
using Buffer = std::vector<T, Eigen::aligned_allocator<T>>;

// Per-thread buffers, grown as needed and reused across blocks and calls.
template <typename T>
struct Scratch {
  Buffer<T> gathered_k, gathered_v;  // the block's gathered columns
  Buffer<T> scores;                  // rows x tile keys: scores, then probabilities
  Buffer<T> dropped;                 // rows x tile keys: probabilities after dropout
  Buffer<T> tile_grad;               // rows x tile keys: gradient of the scores
  Buffer<T> acc;                     // rows x dim: output or dq accumulator
  Buffer<T> scaled_q;                // rows x dim: the block's queries / sqrt(dim)
  Buffer<T> factor;                  // tile keys: dropout factors of one row
  Buffer<T> key_grad, value_grad;    // tile keys x dim
  Buffer<T> row_max, row_sum, row_dot;
  std::vector<uint64_t> row_key;     // dropout key per row

  static Scratch& ForThread() {
    thread_local Scratch scratch;
    return scratch;
  }
};

template <typename V>
typename V::value_type* Sized(V& buffer, size_t size) {
  if (buffer.size() < size) buffer.resize(size);
  return buffer.data();
}

// A tile of keys of one block: contiguous rows [first, first + n) of k and v, or n gathered
// columns (keys != nullptr) copied into scratch.
template <typename T>
struct Tile {
  const T* k;
  const T* v;
  const int64_t* keys;
  int64_t first;
  int64_t n;
  bool needs_mask;  // some pair of the block's rows and these keys is not allowed
  int64_t Key(int64_t c) const { return keys != nullptr ? keys[c] : first + c; }
};

// Calls fn(tile) for the block's gathered columns, then for its band, kKeyTile keys at a time.
template <typename T, typename Fn>
void ForEachTile(const HeadSlice<T>& s, const HeadPlan& plan, const QueryBlock& block, Fn&& fn) {
  const int64_t nc = block.columns.size();
  if (nc > 0) {
    Scratch<T>& scratch = Scratch<T>::ForThread();
    T* gk = Sized(scratch.gathered_k, nc * s.dim);
    T* gv = Sized(scratch.gathered_v, nc * s.dim);
    for (int64_t c = 0; c < nc; ++c) {
      std::memcpy(gk + c * s.dim, s.k + block.columns[c] * s.dim, s.dim * sizeof(T));
      std::memcpy(gv + c * s.dim, s.v + block.columns[c] * s.dim, s.dim * sizeof(T));
    }
    for (int64_t c0 = 0; c0 < nc; c0 += kKeyTile) {
      const int64_t n = std::min(kKeyTile, nc - c0);
      // Columns are allowed for every row at or after them: only causality can mask.
      fn(Tile<T>{gk + c0 * s.dim, gv + c0 * s.dim, block.columns.data() + c0, 0, n,
                 block.columns[c0 + n - 1] > block.row_begin});
    }
  }
  for (int64_t j0 = block.band_begin; j0 < block.row_end; j0 += kKeyTile) {
    const int64_t n = std::min(kKeyTile, block.row_end - j0);
    const bool all_allowed = j0 + n - 1 <= block.row_begin && block.row_end - 1 - j0 <= plan.band;
    fn(Tile<T>{s.k + j0 * s.dim, s.v + j0 * s.dim, nullptr, j0, n, !all_allowed});
  }
}

// Sets the disallowed pairs of a tile's scores to -inf. In the band's range only the
// causal cut (keys after the row) and the keys below the band that are not columns can be
// disallowed; gathered columns are allowed up to the row.
template <typename T>
void MaskScores(const HeadPlan& plan, const QueryBlock& block, const Tile<T>& t, T* scores) {
  const int64_t rows = block.row_end - block.row_begin;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t i = block.row_begin + r;
    T* row = scores + r * t.n;
    if (t.keys != nullptr) {
      for (int64_t c = 0; c < t.n; ++c) {
        if (t.keys[c] > i) row[c] = kNegativeInfinity<T>;
      }
      continue;
    }
    const int64_t causal_end = std::clamp<int64_t>(i - t.first + 1, 0, t.n);
    std::fill(row + causal_end, row + t.n, kNegativeInfinity<T>);
    const int64_t band_start = std::clamp<int64_t>(i - plan.band - t.first, 0, causal_end);
    const uint8_t* is_column = plan.is_column.data() + t.first;
    for (int64_t c = 0; c < band_start; ++c) {
      if (!is_column[c]) row[c] = kNegativeInfinity<T>;
    }
  }
}

// Scores of the block's rows (q already scaled by 1/sqrt(dim)) against a tile into scores
// (rows x n), with disallowed pairs at -inf.
template <typename T>
MapMatrix<T> TileScores(const HeadSlice<T>& s, const HeadPlan& plan, const QueryBlock& block,
                        const ConstMapMatrix<T>& scaled_q, const Tile<T>& t, T* scores) {
  MapMatrix<T> S(scores, block.row_end - block.row_begin, t.n);
  S.noalias() = scaled_q * ConstMapMatrix<T>(t.k, t.n, s.dim).transpose();
  if (t.needs_mask) MaskScores(plan, block, t, scores);
  return S;
}

// The block's query rows times 1/sqrt(dim), so scores need no scaling pass.
template <typename T>
ConstMapMatrix<T> ScaledQueries(const HeadSlice<T>& s, const QueryBlock& block, Buffer<T>& buffer) {
  const int64_t rows = block.row_end - block.row_begin;
  MapMatrix<T> scaled(Sized(buffer, rows * s.dim), rows, s.dim);
  scaled = ConstMapMatrix<T>(s.q + block.row_begin * s.dim, rows, s.dim) * s.scale;
  return ConstMapMatrix<T>(scaled.data(), rows, s.dim);
}

// The dropout factor of each key of a tile in one row: keep_scale if kept, else 0.
template <typename T>
void DropFactors(const HeadSlice<T>& s, const Tile<T>& t, uint64_t row_key, T* factor) {
  // Locals, so that the compiler sees they cannot alias factor and vectorises the loops.
  const uint32_t threshold = s.drop_threshold;
  const T keep = s.keep_scale;
  if (t.keys != nullptr) {
    for (int64_t c = 0; c < t.n; ++c) {
      const uint32_t h = dropout_hash::PairHash(row_key, static_cast<uint32_t>(t.keys[c]));
      factor[c] = h >= threshold ? keep : T(0);
    }
    return;
  }
  const auto first = static_cast<uint32_t>(t.first);
  const auto n = static_cast<uint32_t>(t.n);
  for (uint32_t c = 0; c < n; ++c) {
    const uint32_t h = dropout_hash::PairHash(row_key, first + c);
    factor[c] = h >= threshold ? keep : T(0);
  }
}

// row[c] = exp(row[c] - shift), exactly 0 where row[c] is -inf (disallowed).
template <typename T>
void ExpShifted(T* row, int64_t n, T shift, bool masked) {
  Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> a(row, n);
  if (masked) {
    a = (a == kNegativeInfinity<T>).select(T(0), (a - shift).exp());
  } else {
    a = (a - shift).exp();
  }
}

// Adds a tile's rows of key (or value) gradient into the head's [L, dim] gradient.
template <typename T>
void AddToKeys(const Tile<T>& t, int64_t dim, const T* grad, T* dst) {
  for (int64_t c = 0; c < t.n; ++c) {
    T* out = dst + t.Key(c) * dim;
    const T* in = grad + c * dim;
    for (int64_t d = 0; d < dim; ++d) out[d] += in[d];
  }
}

template <typename T>
void RowKeys(const HeadSlice<T>& s, const QueryBlock& block, uint64_t* keys) {
  for (int64_t i = block.row_begin; i < block.row_end; ++i) {
    keys[i - block.row_begin] = dropout_hash::RowKey(s.seed, s.slice, i);
  }
}

}  // namespace

int64_t BlockRows(const PatternAtLength& p) {
  if (p.band() < 0 || p.band() > 32) return 64;
  return p.band() <= 16 ? 16 : 32;
}

HeadPlan PlanHead(const AttentionPattern& pattern, int64_t seq_len) {
  const PatternAtLength p(pattern, seq_len);
  HeadPlan plan;
  plan.seq_len = seq_len;
  plan.band = p.band();
  plan.is_column.resize(seq_len);
  for (int64_t j = 0; j < seq_len; ++j) plan.is_column[j] = p.IsColumn(j);
  const int64_t rows = BlockRows(p);
  for (int64_t r0 = 0; r0 < seq_len; r0 += rows) {
    QueryBlock block;
    block.row_begin = r0;
    block.row_end = std::min(seq_len, r0 + rows);
    block.band_begin = plan.band >= 0 ? std::max<int64_t>(0, r0 - plan.band) : block.row_end;
    // Columns below the band (all of them without a band) that later rows may see.
    for (int64_t j = 0; j < block.band_begin; ++j) {
      if (plan.is_column[j]) block.columns.push_back(j);
    }
    plan.pairs += block.Pairs();
    plan.blocks.push_back(std::move(block));
  }
  return plan;
}

template <typename T>
void ForwardBlock(const HeadSlice<T>& s, const HeadPlan& plan, const QueryBlock& block, T* out, T* lse) {
  const int64_t rows = block.row_end - block.row_begin;
  Scratch<T>& scratch = Scratch<T>::ForThread();
  const ConstMapMatrix<T> q = ScaledQueries(s, block, scratch.scaled_q);
  MapMatrix<T> acc(Sized(scratch.acc, rows * s.dim), rows, s.dim);
  acc.setZero();
  T* row_max = Sized(scratch.row_max, rows);
  T* row_sum = Sized(scratch.row_sum, rows);
  std::fill(row_max, row_max + rows, kNegativeInfinity<T>);
  std::fill(row_sum, row_sum + rows, T(0));
  const bool dropout = s.drop_threshold > 0;
  uint64_t* row_key = Sized(scratch.row_key, rows);
  if (dropout) RowKeys(s, block, row_key);
  ForEachTile(s, plan, block, [&](const Tile<T>& t) {
    T* scores = Sized(scratch.scores, rows * t.n);
    MapMatrix<T> S = TileScores(s, plan, block, q, t, scores);
    T* factor = Sized(scratch.factor, t.n);
    for (int64_t r = 0; r < rows; ++r) {
      T* row = scores + r * t.n;
      const T new_max = std::max(row_max[r], S.row(r).maxCoeff());
      if (new_max == kNegativeInfinity<T>) {  // no allowed key for this row yet
        std::fill(row, row + t.n, T(0));
        continue;
      }
      const T rescale = std::exp(row_max[r] - new_max);
      ExpShifted(row, t.n, new_max, t.needs_mask);
      row_sum[r] = row_sum[r] * rescale + S.row(r).sum();
      row_max[r] = new_max;
      if (rescale != T(1)) acc.row(r) *= rescale;
      if (dropout) {  // the sum above normalises; only the output sees the dropped probabilities
        DropFactors(s, t, row_key[r], factor);
        for (int64_t c = 0; c < t.n; ++c) row[c] *= factor[c];
      }
    }
    acc.noalias() += S * ConstMapMatrix<T>(t.v, t.n, s.dim);
  });
  MapMatrix<T> o(out + block.row_begin * s.dim, rows, s.dim);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t i = block.row_begin + r;
    if (row_sum[r] > T(0)) {
      o.row(r) = acc.row(r) / row_sum[r];
      lse[i] = row_max[r] + std::log(row_sum[r]);
    } else {
      o.row(r).setZero();
      lse[i] = kNegativeInfinity<T>;
    }
  }
}

template <typename T>
void BackwardHead(const HeadSlice<T>& s, const HeadPlan& plan, const T* out, const T* lse, const T* dout, T* dq,
                  T* dk, T* dv) {
  Scratch<T>& scratch = Scratch<T>::ForThread();
  const bool dropout = s.drop_threshold > 0;
  for (const QueryBlock& block : plan.blocks) {
    const int64_t rows = block.row_end - block.row_begin;
    const ConstMapMatrix<T> q = ScaledQueries(s, block, scratch.scaled_q);
    const ConstMapMatrix<T> dO(dout + block.row_begin * s.dim, rows, s.dim);
    const ConstMapMatrix<T> o(out + block.row_begin * s.dim, rows, s.dim);
    // Softmax backward needs sum_j dP_ij P_ij per row, which is dO_i . O_i (dropout included).
    T* row_dot = Sized(scratch.row_dot, rows);
    for (int64_t r = 0; r < rows; ++r) row_dot[r] = dO.row(r).dot(o.row(r));
    uint64_t* row_key = Sized(scratch.row_key, rows);
    if (dropout) RowKeys(s, block, row_key);
    MapMatrix<T> dq_acc(Sized(scratch.acc, rows * s.dim), rows, s.dim);
    dq_acc.setZero();
    ForEachTile(s, plan, block, [&](const Tile<T>& t) {
      T* probs = Sized(scratch.scores, rows * t.n);
      MapMatrix<T> P = TileScores(s, plan, block, q, t, probs);
      for (int64_t r = 0; r < rows; ++r) {
        T* row = probs + r * t.n;
        const T row_lse = lse[block.row_begin + r];
        if (row_lse == kNegativeInfinity<T>) {
          std::fill(row, row + t.n, T(0));
        } else {
          ExpShifted(row, t.n, row_lse, t.needs_mask);
        }
      }
      const ConstMapMatrix<T> k(t.k, t.n, s.dim), v(t.v, t.n, s.dim);
      MapMatrix<T> dS(Sized(scratch.tile_grad, rows * t.n), rows, t.n);
      dS.noalias() = dO * v.transpose();  // gradient of the dropped probabilities
      const T* z = probs;                  // the probabilities after dropout
      if (dropout) {
        T* dropped = Sized(scratch.dropped, rows * t.n);
        T* factor = Sized(scratch.factor, t.n);
        for (int64_t r = 0; r < rows; ++r) {
          DropFactors(s, t, row_key[r], factor);
          T* g = dS.data() + r * t.n;
          const T* p = probs + r * t.n;
          T* zr = dropped + r * t.n;
          for (int64_t c = 0; c < t.n; ++c) {
            zr[c] = p[c] * factor[c];
            g[c] *= factor[c];  // dP = dZ * factor
          }
        }
        z = dropped;
      }
      MapMatrix<T> dv_tile(Sized(scratch.value_grad, t.n * s.dim), t.n, s.dim);
      dv_tile.noalias() = ConstMapMatrix<T>(z, rows, t.n).transpose() * dO;
      AddToKeys(t, s.dim, dv_tile.data(), dv);
      // dS = P * (dP - rowdot); the 1/sqrt(dim) of the scores is in the scaled q (for dk) and
      // applied to dq at the end.
      for (int64_t r = 0; r < rows; ++r) {
        dS.row(r) = (P.row(r).array() * (dS.row(r).array() - row_dot[r])).matrix();
      }
      dq_acc.noalias() += dS * k;
      MapMatrix<T> dk_tile(Sized(scratch.key_grad, t.n * s.dim), t.n, s.dim);
      dk_tile.noalias() = dS.transpose() * q;
      AddToKeys(t, s.dim, dk_tile.data(), dk);
    });
    MapMatrix<T>(dq + block.row_begin * s.dim, rows, s.dim) = dq_acc * s.scale;
  }
}

template <typename T>
void WriteProbabilities(const HeadSlice<T>& s, const HeadPlan& plan, const T* lse, T* dense) {
  Scratch<T>& scratch = Scratch<T>::ForThread();
  for (const QueryBlock& block : plan.blocks) {
    const int64_t rows = block.row_end - block.row_begin;
    const ConstMapMatrix<T> q = ScaledQueries(s, block, scratch.scaled_q);
    ForEachTile(s, plan, block, [&](const Tile<T>& t) {
      T* probs = Sized(scratch.scores, rows * t.n);
      TileScores(s, plan, block, q, t, probs);
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t i = block.row_begin + r;
        if (lse[i] == kNegativeInfinity<T>) continue;
        T* row = probs + r * t.n;
        ExpShifted(row, t.n, lse[i], t.needs_mask);
        for (int64_t c = 0; c < t.n; ++c) dense[i * plan.seq_len + t.Key(c)] = row[c];
      }
    });
  }
}

#define ATTN_INSTANTIATE(T)                                                                                     \
  template void ForwardBlock<T>(const HeadSlice<T>&, const HeadPlan&, const QueryBlock&, T*, T*);              \
  template void BackwardHead<T>(const HeadSlice<T>&, const HeadPlan&, const T*, const T*, const T*, T*, T*, T*); \
  template void WriteProbabilities<T>(const HeadSlice<T>&, const HeadPlan&, const T*, T*);
ATTN_INSTANTIATE(float)
ATTN_INSTANTIATE(double)
#undef ATTN_INSTANTIATE

}  // namespace attn::model::sparse_blocks
