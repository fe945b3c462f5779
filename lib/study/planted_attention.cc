#include "lib/study/planted_attention.h"

#include <random>

namespace attn::study {

std::vector<float> PlantedAttention(const model::AttentionPattern& pattern, int64_t seq_len, double noise,
                                    uint64_t seed) {
  const int64_t n = seq_len;
  const model::PatternAtLength at_length(pattern, n);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> weight(0.5, 1.5);
  std::vector<float> out(static_cast<size_t>(n * n), 0.0f);
  std::vector<double> row(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    std::fill(row.begin(), row.begin() + i + 1, 0.0);
    const std::vector<int64_t> keys = at_length.Keys(i);
    double sum = 0;
    for (const int64_t j : keys) sum += row[j] = weight(rng);
    const double planted = keys.empty() ? 0.0 : 1.0 - noise;
    const double uniform = (keys.empty() ? (noise > 0 ? 1.0 : 0.0) : noise) / static_cast<double>(i + 1);
    for (int64_t j = 0; j <= i; ++j) {
      const double structured = sum > 0 ? planted * row[j] / sum : 0.0;
      out[static_cast<size_t>(i * n + j)] = static_cast<float>(structured + uniform);
    }
  }
  return out;
}

}  // namespace attn::study
