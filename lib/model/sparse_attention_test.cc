#include "lib/model/sparse_attention.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "lib/model/attention_patterns.h"
#include "torch/torch.h"

namespace attn::model {
namespace {

using P = AttentionPattern;
const std::vector<P> kFourHeads = {P::kLocal, P::kStrided, P::kGlobal, P::kWideLocal};

// Row by row in double over AllowedKeys: an independent reference for both implementations.
torch::Tensor NaiveAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const std::vector<P>& patterns, torch::Tensor* probs) {
  const auto qd = q.to(torch::kDouble), kd = k.to(torch::kDouble), vd = v.to(torch::kDouble);
  const int64_t B = q.size(0), H = q.size(1), L = q.size(2), D = q.size(3);
  auto out = torch::zeros({B, H, L, D}, torch::kDouble);
  *probs = torch::zeros({B, H, L, L}, torch::kDouble);
  auto qa = qd.accessor<double, 4>(), ka = kd.accessor<double, 4>(), va = vd.accessor<double, 4>();
  auto oa = out.accessor<double, 4>();
  auto pa = probs->accessor<double, 4>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < L; ++i) {
        const std::vector<int64_t> keys = AllowedKeys(patterns[h], i, L);
        std::vector<double> s;
        double mx = -1e300;
        for (int64_t j : keys) {
          double dot = 0;
          for (int64_t d = 0; d < D; ++d) dot += qa[b][h][i][d] * ka[b][h][j][d];
          s.push_back(dot / std::sqrt(static_cast<double>(D)));
          mx = std::max(mx, s.back());
        }
        double sum = 0;
        for (double& x : s) sum += (x = std::exp(x - mx));
        for (size_t c = 0; c < keys.size(); ++c) {
          pa[b][h][i][keys[c]] = s[c] / sum;
          for (int64_t d = 0; d < D; ++d) oa[b][h][i][d] += s[c] / sum * va[b][h][keys[c]][d];
        }
      }
  return out;
}

TEST(PatternMask, MatchesPatternAllows) {
  for (int64_t L : {1, 7, 16, 50}) {
    const torch::Tensor m = PatternMask(kFourHeads, L);
    ASSERT_EQ(m.sizes(), (std::vector<int64_t>{4, L, L}));
    auto a = m.accessor<bool, 3>();
    for (int64_t h = 0; h < 4; ++h)
      for (int64_t i = 0; i < L; ++i)
        for (int64_t j = 0; j < L; ++j) ASSERT_EQ(a[h][i][j], PatternAllows(kFourHeads[h], i, j, L));
  }
}

TEST(MaskedAttention, MatchesNaiveReference) {
  torch::manual_seed(1);
  for (int64_t L : {1, 9, 40}) {
    const auto q = torch::randn({2, 4, L, 8}), k = torch::randn({2, 4, L, 8}), v = torch::randn({2, 4, L, 8});
    torch::Tensor probs, expected_probs;
    SparseAttentionOptions options;
    options.impl = SparseAttentionImpl::kMasked;
    const auto out = SparseAttention(q, k, v, kFourHeads, options, &probs);
    const auto expected = NaiveAttention(q, k, v, kFourHeads, &expected_probs);
    EXPECT_TRUE(torch::allclose(out.to(torch::kDouble), expected, 1e-5, 1e-5)) << "L " << L;
    EXPECT_TRUE(torch::allclose(probs.to(torch::kDouble), expected_probs, 1e-5, 1e-6)) << "L " << L;
    // Exactly zero where not allowed.
    EXPECT_EQ(probs.masked_select(PatternMask(kFourHeads, L).logical_not().unsqueeze(0)).abs().sum().item<float>(), 0.f);
  }
}

TEST(SparseAttention, RejectsBadShapes) {
  const auto x = torch::randn({1, 2, 5, 4});
  EXPECT_THROW(SparseAttention(x, x, x, {P::kLocal}, {}), c10::Error);
  EXPECT_THROW(SparseAttention(x, x, torch::randn({1, 2, 6, 4}), {P::kLocal, P::kLocal}, {}), c10::Error);
  EXPECT_THROW(SparseAttention(x[0], x[0], x[0], {P::kLocal, P::kLocal}, {}), c10::Error);
}

}  // namespace
}  // namespace attn::model
