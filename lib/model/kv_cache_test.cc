#include "lib/model/kv_cache.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/model/dense_model.h"
#include "lib/model/pattern_file.h"
#include "lib/model/pattern_support_for_test.h"
#include "lib/model/sparse_attention.h"
#include "lib/model/sparse_model.h"

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

struct Case {
  std::string name;
  std::function<std::shared_ptr<LanguageModel>()> make;
  bool patterns_move;  // some head has anchors, so some steps recompute more than one row
};

std::vector<Case> Models() {
  DenseConfig dense;
  dense.d_model = 16;
  dense.heads = 4;
  dense.layers = 2;
  dense.ff = 8;
  dense.max_len = 48;
  DenseConfig patterned = dense;
  patterned.patterns = *ParsePatternFile(kCustomPatternFile, "custom", 2, 4);  // anchors in both layers
  DenseConfig banded = dense;
  banded.patterns = *HeadPatterns::SameEveryLayer({}, {"local8", "strided", "dense", "local16"}, 2);
  SparseConfig sparse;  // the default assignment for 4 heads, global heads included
  sparse.d_model = 16;
  sparse.heads = 4;
  sparse.layers = 3;
  sparse.ff = 24;
  sparse.max_len = 48;
  SparseConfig sparse_local = sparse;
  sparse_local.head_patterns = "0,3,1,0";
  SparseConfig sparse_masked = sparse;
  sparse_masked.attention = SparseAttentionImpl::kMasked;
  return {{"dense", [=] { return *MakeDenseModel(dense); }, false},
          {"dense with anchored patterns", [=] { return *MakeDenseModel(patterned); }, true},
          {"dense with bands and strides", [=] { return *MakeDenseModel(banded); }, false},
          {"sparse", [=] { return *MakeSparseModel(sparse); }, true},
          {"sparse without anchors", [=] { return *MakeSparseModel(sparse_local); }, false},
          {"sparse, masked attention", [=] { return *MakeSparseModel(sparse_masked); }, true}};
}

::testing::AssertionResult Close(const torch::Tensor& got, const torch::Tensor& want) {
  const double error = (got - want).abs().max().item<double>();
  const double scale = std::max(1.0, want.abs().max().item<double>());
  if (error <= 1e-5 * scale) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "max error " << error << " at logits up to " << scale;
}

TEST(KVCacheTest, EveryPositionMatchesTheFullForward) {
  for (const Case& c : Models()) {
    SCOPED_TRACE(c.name);
    torch::manual_seed(3);
    std::shared_ptr<LanguageModel> m = c.make();
    m->eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor tokens = torch::randint(0, 256, {2, 40}, torch::kLong);
    KVCache cache;
    bool moved = false;
    for (int64_t L = 1; L <= tokens.size(1); ++L) {
      const torch::Tensor prefix = tokens.narrow(1, 0, L);
      const torch::Tensor got = m->ForwardLast(prefix, cache);
      ASSERT_TRUE(Close(got, m->Forward(prefix).select(1, -1))) << "length " << L;
      ASSERT_EQ(cache.length(), L);
      // The first layer's input is position-wise: only the new row, unless a pattern moved.
      const std::vector<int64_t>& rows = cache.rows_computed();
      ASSERT_EQ(static_cast<int64_t>(rows.size()), m->NumLayers());
      for (const int64_t r : rows) {
        moved = moved || r > 1;
        if (!c.patterns_move) ASSERT_EQ(r, 1) << "length " << L;
      }
    }
    EXPECT_EQ(moved, c.patterns_move);
  }
}

TEST(KVCacheTest, SeveralNewBytesAtOnceAndASlidWindow) {
  for (const Case& c : Models()) {
    SCOPED_TRACE(c.name);
    torch::manual_seed(4);
    std::shared_ptr<LanguageModel> m = c.make();
    m->eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor tokens = torch::randint(0, 256, {1, 45}, torch::kLong);
    KVCache cache;
    // A prompt, several bytes at once, one byte, then windows that slid (rebuilt) and grew.
    for (const auto& [begin, end] :
         std::vector<std::pair<int64_t, int64_t>>{{0, 10}, {0, 17}, {0, 18}, {1, 19}, {1, 21}}) {
      const torch::Tensor window = tokens.narrow(1, begin, end - begin);
      ASSERT_TRUE(Close(m->ForwardLast(window, cache), m->Forward(window).select(1, -1)))
          << "positions " << begin << ".." << end;
    }
    // The window that slid by one byte moved every position: rebuilt, then extended.
    const torch::Tensor slid = tokens.narrow(1, 2, 20);
    m->ForwardLast(slid, cache);
    for (const int64_t r : cache.rows_computed()) EXPECT_EQ(r, 20);
    // Another batch size, and the same tokens again, rebuild too.
    const torch::Tensor two = tokens.narrow(1, 2, 20).repeat({2, 1});
    ASSERT_TRUE(Close(m->ForwardLast(two, cache), m->Forward(two).select(1, -1)));
    for (const int64_t r : cache.rows_computed()) EXPECT_EQ(r, 20);
    ASSERT_TRUE(Close(m->ForwardLast(two, cache), m->Forward(two).select(1, -1)));
    for (const int64_t r : cache.rows_computed()) EXPECT_EQ(r, 20);
  }
}

TEST(KVCacheTest, HeadMaskApplies) {
  for (const Case& c : Models()) {
    SCOPED_TRACE(c.name);
    torch::manual_seed(5);
    std::shared_ptr<LanguageModel> m = c.make();
    m->eval();
    torch::NoGradGuard no_grad;
    torch::Tensor mask = torch::ones({m->NumLayers(), m->NumHeads()});
    mask[0][1] = 0.0;
    mask[1][2] = 0.5;
    ASSERT_TRUE(m->SetHeadMask(mask).ok());
    const torch::Tensor tokens = torch::randint(0, 256, {1, 25}, torch::kLong);
    KVCache cache;
    for (int64_t L = 1; L <= tokens.size(1); ++L) {
      const torch::Tensor prefix = tokens.narrow(1, 0, L);
      ASSERT_TRUE(Close(m->ForwardLast(prefix, cache), m->Forward(prefix).select(1, -1))) << "length " << L;
    }
  }
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
