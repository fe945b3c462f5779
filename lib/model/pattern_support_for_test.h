// Test helper: checks that attention probabilities are non-zero exactly where a pattern
// allows, against a brute-force reading of the rule written here independently of
// lib/model/attention_patterns.cc (docs/design.md, "Attention patterns").
#ifndef ATTN_LIB_MODEL_PATTERN_SUPPORT_FOR_TEST_H_
#define ATTN_LIB_MODEL_PATTERN_SUPPORT_FOR_TEST_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "lib/model/attention_patterns.h"
#include "torch/torch.h"

namespace attn::model {

// Two layers of four heads, a different pattern per layer and head: band + stride, anchors
// only, a zero-width band with an anchor, unbounded, and built-ins.
inline constexpr char kCustomPatternFile[] =
    R"({"patterns": {"a": {"window": 3, "stride": 5}, "b": {"anchors": [0, 0.37, 1]},
                     "c": {"window": 0, "anchors": [0.5]}},
        "heads": [["a", "dense", "b", "local8"], ["c", "c", "global", "a"]]})";

// Query i may attend to key j: causal, and in the band, on a stride column or an anchor.
inline bool BruteForceAllows(const AttentionPattern& p, int64_t i, int64_t j, int64_t L) {
  if (j > i) return false;
  if (p.window.has_value() && (*p.window == -1 || i - j <= *p.window)) return true;
  if (p.stride > 0 && j % p.stride == 0) return true;
  for (const double r : p.anchors) {
    if (j == std::min(L - 1, static_cast<int64_t>(std::floor(r * static_cast<double>(L - 1))))) return true;
  }
  return false;
}

// probs: [B, H, L, L] of one layer; patterns: one per head.
inline ::testing::AssertionResult SupportIsTheRule(const torch::Tensor& probs,
                                                   const std::vector<AttentionPattern>& patterns) {
  const torch::Tensor p = probs.to(torch::kDouble).contiguous();
  const int64_t B = p.size(0), H = p.size(1), L = p.size(2);
  if (H != static_cast<int64_t>(patterns.size())) return ::testing::AssertionFailure() << "head count";
  auto a = p.accessor<double, 4>();
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t i = 0; i < L; ++i) {
        for (int64_t j = 0; j < L; ++j) {
          const bool allowed = BruteForceAllows(patterns[h], i, j, L);
          if (allowed != (a[b][h][i][j] > 0)) {
            return ::testing::AssertionFailure() << "head " << h << " (" << DescribePattern(patterns[h])
                                                 << "), query " << i << ", key " << j << ": probability "
                                                 << a[b][h][i][j] << ", rule says " << allowed;
          }
        }
      }
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_PATTERN_SUPPORT_FOR_TEST_H_
