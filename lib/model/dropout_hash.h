// Dropout decisions as a pure function of (seed, slice, query, key): a counter-based hash
// instead of a stored mask, so the attention kernel recomputes any pair's decision in the
// backward pass (no L x L mask in memory) and threads draw in any order with the same
// result. A pair is kept with probability 1 - p, independently of every other pair, as a
// Bernoulli mask drawn from a generator would be; the seed comes from LibTorch's generator,
// so torch::manual_seed reproduces the decisions.
#ifndef ATTN_LIB_MODEL_DROPOUT_HASH_H_
#define ATTN_LIB_MODEL_DROPOUT_HASH_H_

#include <cmath>
#include <cstdint>

namespace attn::model::dropout_hash {

// SplitMix64's output function: a bijection of 64-bit words with full avalanche.
inline uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A 32-bit bijection with low bias (two multiply-xorshift rounds); vectorises on AVX2.
inline uint32_t Mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

// A pair is dropped when its hash is below this: round(p 2^32), for p in [0, 1).
inline uint32_t DropThreshold(double p) {
  const double t = std::nearbyint(std::ldexp(p, 32));
  return t >= 4294967295.0 ? 0xffffffffU : t <= 0.0 ? 0U : static_cast<uint32_t>(t);
}

// One key per query row of one (batch, head) slice, distinct for distinct (slice, row) under
// one seed; its halves key the per-pair hash.
inline uint64_t RowKey(uint64_t seed, uint64_t slice, uint64_t row) {
  return Mix64(Mix64(seed) ^ Mix64((slice << 32) ^ row));
}

// The hash of key column j in a row. Two rounds, each keyed by one half of the row key, so
// that rows whose low halves happen to be close still decide independently.
inline uint32_t PairHash(uint64_t row_key, uint32_t j) {
  return Mix32(Mix32(j + static_cast<uint32_t>(row_key)) ^ static_cast<uint32_t>(row_key >> 32));
}

inline bool Keep(uint64_t row_key, uint32_t j, uint32_t threshold) { return PairHash(row_key, j) >= threshold; }

}  // namespace attn::model::dropout_hash

#endif  // ATTN_LIB_MODEL_DROPOUT_HASH_H_
