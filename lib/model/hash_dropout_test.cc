#include "lib/model/hash_dropout.h"

#include <algorithm>
#include <cmath>

#include "gtest/gtest.h"
#include "torch/torch.h"

namespace attn::model {
namespace {

// Kept with probability 1 - p and scaled by 1 / (1 - p): on ones, the kept fraction and the
// mean within 5 standard errors, and every value 0 or exactly the scale.
TEST(HashDropout, KeepsOneMinusPAndScales) {
  torch::manual_seed(1);
  const int64_t n = 1 << 20;
  for (const double p : {0.05, 0.1, 0.5}) {
    const torch::Tensor y = HashDropout(torch::ones({n}), p, /*training=*/true);
    const double scale = 1.0 / (1.0 - p);
    const double kept = (y != 0).sum().item<double>() / n;
    EXPECT_NEAR(kept, 1 - p, 5 * std::sqrt(p * (1 - p) / n)) << p;
    EXPECT_EQ(((y != 0) & ((y - scale).abs() > 1e-6 * scale)).sum().item<int64_t>(), 0) << p;
    EXPECT_NEAR(y.mean().item<double>(), 1.0, 5 * scale * std::sqrt(p * (1 - p) / n)) << p;
  }
}

// The same mean and variance as torch::dropout on the same input: E y = x, and
// Var y = x^2 p / (1 - p) summed over elements, within 3%.
TEST(HashDropout, SameStatisticsAsTorchDropout) {
  torch::manual_seed(2);
  const double p = 0.2;
  const torch::Tensor x = torch::randn({512, 512}, torch::kDouble);
  const double expected_var = (x.square() * p / (1 - p)).sum().item<double>();
  for (int which = 0; which < 2; ++which) {
    const torch::Tensor y = which == 0 ? HashDropout(x, p, true) : torch::dropout(x, p, true);
    const double var = (y - x).square().sum().item<double>();
    EXPECT_NEAR(var / expected_var, 1.0, 0.03) << (which == 0 ? "hash" : "torch");
    EXPECT_NEAR((y - x).sum().item<double>() / std::sqrt(expected_var), 0.0, 5.0);
  }
}

// The backward pass applies the forward pass's factors: grad x = w * y / x.
TEST(HashDropout, GradientUsesTheSameDecisions) {
  torch::manual_seed(3);
  const torch::Tensor x = torch::randn({3, 70000}, torch::kDouble).requires_grad_();
  const torch::Tensor w = torch::randn({3, 70000}, torch::kDouble);
  const torch::Tensor y = HashDropout(x, 0.3, true);
  (y * w).sum().backward();
  EXPECT_TRUE(torch::allclose(x.grad() * x.detach(), w * y.detach(), 1e-12, 1e-12));
  EXPECT_GT((x.grad() == 0).sum().item<int64_t>(), 0);
}

TEST(HashDropout, ReproducibleFromTheGeneratorsSeed) {
  const torch::Tensor x = torch::randn({1000, 7});
  torch::manual_seed(4);
  const torch::Tensor a = HashDropout(x, 0.5, true);
  const torch::Tensor b = HashDropout(x, 0.5, true);
  torch::manual_seed(4);
  EXPECT_TRUE(torch::equal(HashDropout(x, 0.5, true), a));
  EXPECT_FALSE(torch::equal(a, b));  // each call draws its own seed
}

TEST(HashDropout, OffWhenNotTrainingOrZero) {
  const torch::Tensor x = torch::randn({10});
  EXPECT_TRUE(HashDropout(x, 0.5, false).is_same(x));
  EXPECT_TRUE(HashDropout(x, 0.0, true).is_same(x));
}

TEST(HashDropout, KeepsTheTypeAndReadsAnyLayout) {
  const torch::Tensor x = torch::randn({64, 48});
  for (const auto dtype : {torch::kBFloat16, torch::kDouble}) {
    torch::manual_seed(5);
    const torch::Tensor y = HashDropout(x.to(dtype), 0.25, true);
    EXPECT_EQ(y.scalar_type(), dtype);
    torch::manual_seed(5);
    const torch::Tensor f = HashDropout(x, 0.25, true);
    EXPECT_TRUE(torch::allclose(y.to(torch::kFloat), f, 1e-2, 1e-2));
  }
  // A transposed view gives what its contiguous copy gives.
  const torch::Tensor t = x.t();
  torch::manual_seed(6);
  const torch::Tensor a = HashDropout(t, 0.25, true);
  torch::manual_seed(6);
  EXPECT_TRUE(torch::equal(a, HashDropout(t.contiguous(), 0.25, true)));
}

// Bad probabilities are refused; a tensor on another device takes torch::dropout (which
// keeps its device and shape: the meta device computes nothing, so nothing else is checked).
TEST(HashDropout, RefusesBadProbabilitiesAndLeavesOtherDevicesToTorch) {
  const torch::Tensor x = torch::randn({4});
  EXPECT_THROW(HashDropout(x, 1.0, true), c10::Error);
  EXPECT_THROW(HashDropout(x, -0.1, true), c10::Error);
  const torch::Tensor y = HashDropout(torch::empty({4}, torch::TensorOptions().device(torch::kMeta)), 0.1, true);
  EXPECT_TRUE(y.device().is_meta());
  EXPECT_EQ(y.sizes(), x.sizes());
}

TEST(HashDropout, KeepMaskHasDropoutsStatistics) {
  const int64_t n = 1 << 20;
  const torch::Tensor a = HashDropoutKeepMask(11, n, 0.1), b = HashDropoutKeepMask(12, n, 0.1);
  // Standard error of each fraction below about 0.0004: 5 of them.
  EXPECT_NEAR(a.mean().item<double>(), 0.9, 0.002);
  EXPECT_NEAR(HashDropoutKeepMask(13, n, 0.5).mean().item<double>(), 0.5, 0.0025);
  EXPECT_NEAR((a * b).mean().item<double>(), 0.81, 0.002);  // two seeds: independent masks
  EXPECT_NEAR((a.slice(0, 1) * a.slice(0, 0, n - 1)).mean().item<double>(), 0.81, 0.002);  // neighbours
  EXPECT_EQ(HashDropoutKeepMask(11, n, 0.0).min().item<double>(), 1.0);
}

// Decisions belong to elements, not to calls: the mask of [0, n) applied in pieces whose
// ends fall anywhere (inside and across the hash's 65536-element chunks) is the whole mask.
TEST(HashDropout, PiecesGiveTheWholeMask) {
  const int64_t n = 3 * 65536 + 123;
  const torch::Tensor whole = HashDropoutKeepMask(21, n, 0.3);
  torch::Tensor pieces = torch::ones({n});
  float* m = pieces.data_ptr<float>();
  for (int64_t first = 0, step = 1; first < n; first += step, step = step * 7 + 3) {
    const int64_t count = std::min(step, n - first);
    ScaleKeptElements(m + first, m + first, first, count, 21, 0.3);
  }
  EXPECT_TRUE(torch::equal((pieces != 0).to(torch::kFloat), whole));
  const torch::Tensor x = torch::ones({n});
  torch::manual_seed(8);
  const uint64_t seed = DrawDropoutSeed();
  torch::manual_seed(8);
  EXPECT_TRUE(torch::equal((HashDropout(x, 0.3, true) != 0).to(torch::kFloat), HashDropoutKeepMask(seed, n, 0.3)));
}

}  // namespace
}  // namespace attn::model
