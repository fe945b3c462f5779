#include "lib/model/kv_cache.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/model/cached_models_for_test.h"
#include "lib/model/pattern_file.h"
#include "lib/model/pattern_support_for_test.h"
#include "lib/model/sparse_attention.h"

namespace attn::model {
namespace {

AttentionPattern Anchors(std::vector<double> anchors, int64_t stride = 0) { return {std::nullopt, stride, anchors}; }

// The first query < old_len whose allowed keys differ between the two lengths, by the
// brute-force rule; old_len when none.
int64_t BruteForceFirstChanged(const std::vector<AttentionPattern>& patterns, int64_t old_len, int64_t new_len) {
  for (int64_t i = 0; i < old_len; ++i) {
    for (const AttentionPattern& p : patterns) {
      for (int64_t j = 0; j <= i; ++j) {
        if (BruteForceAllows(p, i, j, old_len) != BruteForceAllows(p, i, j, new_len)) return i;
      }
    }
  }
  return old_len;
}

TEST(FirstChangedQueryTest, HandComputed) {
  // Anchor 0.5: column floor(0.5 (L - 1)) is 2 at L = 5 and 6, 3 at L = 7.
  EXPECT_EQ(FirstChangedQuery({Anchors({0.5})}, 5, 6), 5);
  EXPECT_EQ(FirstChangedQuery({Anchors({0.5})}, 5, 7), 2);
  // A stride column at 2 keeps it; column 3 is new.
  EXPECT_EQ(FirstChangedQuery({Anchors({0.5}, 2)}, 5, 7), 3);
  // Anchor 1 sits on the last position, so the query before the new one loses it.
  EXPECT_EQ(FirstChangedQuery({Anchors({1.0})}, 5, 6), 4);
  // Bands, strides and full causal attention never change.
  EXPECT_EQ(FirstChangedQuery({{8, 0, {}}, {3, 4, {}}, {kUnboundedWindow, 0, {}}}, 5, 6), 5);
  EXPECT_EQ(FirstChangedQuery({}, 5, 9), 5);
  // The earliest over the heads.
  EXPECT_EQ(FirstChangedQuery({Anchors({1.0}), Anchors({0.5})}, 5, 7), 2);
}

TEST(FirstChangedQueryTest, MatchesTheBruteForceRule) {
  const std::vector<std::vector<AttentionPattern>> cases = {
      {*BuiltinPattern("global")},
      {Anchors({0, 0.37, 1})},
      {{0, 0, {0.5}}},
      {{3, 5, {}}, Anchors({0.1, 0.9}, 3)},
      {*BuiltinPattern("strided"), *BuiltinPattern("local8")}};
  for (size_t c = 0; c < cases.size(); ++c) {
    for (int64_t old_len = 0; old_len < 70; ++old_len) {
      for (int64_t new_len = old_len + 1; new_len < old_len + 4; ++new_len) {
        ASSERT_EQ(FirstChangedQuery(cases[c], old_len, new_len), BruteForceFirstChanged(cases[c], old_len, new_len))
            << "case " << c << ", lengths " << old_len << " -> " << new_len;
      }
    }
  }
}

// Batches (the cached forward in lib/model/cached_forward_test.cc is checked on one
// sequence): two sequences at every length, then a batch of another size, which rebuilds.
TEST(KVCacheTest, BatchesOfSequences) {
  ForEachCachedModel(3, [](const CachedModelCase&, const std::shared_ptr<LanguageModel>& m) {
    const torch::Tensor tokens = torch::randint(0, 256, {2, 30}, torch::kLong);
    KVCache cache;
    for (int64_t L = 1; L <= tokens.size(1); ++L) {
      const torch::Tensor prefix = tokens.narrow(1, 0, L);
      ASSERT_TRUE(CloseLogits(m->ForwardLast(prefix, cache), m->Forward(prefix).select(1, -1))) << "length " << L;
      ASSERT_EQ(cache.length(), L);
    }
    const torch::Tensor three = torch::cat({tokens, tokens.narrow(0, 0, 1)}).narrow(1, 0, 20);
    ASSERT_TRUE(CloseLogits(m->ForwardLast(three, cache), m->Forward(three).select(1, -1)));
    for (const int64_t r : cache.rows_computed()) EXPECT_EQ(r, 20);
  });
}

TEST(KVCacheTest, AttendRowsScoresASingleQueryOverItsAllowedKeysOnly) {
  // Keys that the pattern forbids hold NaN: a computation that touched them would be NaN.
  torch::manual_seed(6);
  const int64_t L = 30;
  const std::vector<AttentionPattern> patterns = {*BuiltinPattern("global"), *BuiltinPattern("local8")};
  torch::Tensor q = torch::randn({1, 2, 1, 4});
  torch::Tensor k = torch::randn({1, 2, L, 4}), v = torch::randn({1, 2, L, 4});
  torch::Tensor k_nan = k.clone(), v_nan = v.clone();
  for (int64_t h = 0; h < 2; ++h) {
    const PatternAtLength at(patterns[h], L);
    for (int64_t j = 0; j < L; ++j) {
      if (!at.Allows(L - 1, j)) {
        k_nan[0][h][j] = std::nan("");
        v_nan[0][h][j] = std::nan("");
      }
    }
  }
  const torch::Tensor got = AttendRows(q, k_nan, v_nan, patterns, L - 1);
  ASSERT_TRUE(torch::isfinite(got).all().item<bool>());
  // Against the full computation's last row (the query in every row; only the last is read).
  const torch::Tensor full = SparseAttention(q.expand({1, 2, L, 4}).contiguous(), k, v, patterns, {});
  EXPECT_TRUE(torch::allclose(got, full.narrow(2, L - 1, 1), 1e-5, 1e-6));
}

}  // namespace
}  // namespace attn::model
