#include "lib/model/bias_silu_dropout.h"

#include <vector>

#include "ATen/Parallel.h"
#include "gtest/gtest.h"
#include "lib/model/hash_dropout.h"

namespace attn::model {
namespace {

double MaxDiff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

struct Grads {
  torch::Tensor y, dh, db;
};

// y and the gradients of sum(w * y) in h and bias, through `f`.
template <typename F>
Grads Through(const F& f, const torch::Tensor& h0, const torch::Tensor& b0, const torch::Tensor& w) {
  torch::Tensor h = h0.clone().requires_grad_(true), b = b0.clone().requires_grad_(true);
  torch::Tensor y = f(h, b);
  (y * w).sum().backward();
  return {y.detach(), h.grad(), b.grad()};
}

// LibTorch's unfused ops with an explicit keep mask (all ones: no dropout).
torch::Tensor Unfused(const torch::Tensor& h, const torch::Tensor& b, const torch::Tensor& keep, double p) {
  torch::Tensor noise = keep.to(h.scalar_type()).view(h.sizes()).div(1 - p);  // as torch dropout builds it
  return torch::silu(h + b) * noise;
}

// Wide enough (cols 257) that one call runs several chunks, so the mask's index offsets show.
torch::Tensor Input(torch::ScalarType t = torch::kFloat) { return 3 * torch::randn({3, 100, 257}, t); }

TEST(BiasSiluDropoutTest, WithoutDropoutEqualsLibTorchsOps) {
  torch::manual_seed(1);
  const torch::Tensor h = Input(), b = torch::randn({257}), w = torch::randn(h.sizes());
  const torch::Tensor ones = torch::ones({h.numel()});
  const Grads want = Through([&](auto& x, auto& c) { return Unfused(x, c, ones, 0.0); }, h, b, w);
  for (auto [p, training] : std::vector<std::pair<double, bool>>{{0.0, true}, {0.3, false}}) {
    const Grads got = Through([&](auto& x, auto& c) { return BiasSiluDropout(x, c, p, training); }, h, b, w);
    EXPECT_LE(MaxDiff(got.y, want.y), 1e-6) << p;
    EXPECT_LE(MaxDiff(got.dh, want.dh), 1e-6) << p;
    EXPECT_LE(MaxDiff(got.db, want.db), 1e-6 * b.size(0)) << p;  // sums of 300 rows
  }
}

TEST(BiasSiluDropoutTest, DropoutEqualsLibTorchsOpsWithTheSameMask) {
  const double p = 0.3;
  torch::manual_seed(2);
  const torch::Tensor h = Input(), b = torch::randn({257}), w = torch::randn(h.sizes());
  torch::manual_seed(9);
  const torch::Tensor keep = HashDropoutKeepMask(DrawDropoutSeed(), h.numel(), p);
  const Grads want = Through([&](auto& x, auto& c) { return Unfused(x, c, keep, p); }, h, b, w);
  torch::manual_seed(9);
  const Grads got = Through([&](auto& x, auto& c) { return BiasSiluDropout(x, c, p, true); }, h, b, w);
  EXPECT_LE(MaxDiff(got.y, want.y), 1e-6);
  EXPECT_LE(MaxDiff(got.dh, want.dh), 1e-6);
  EXPECT_LE(MaxDiff(got.db, want.db), 1e-6 * b.size(0));
  EXPECT_EQ((got.y == 0).sum().item<int64_t>(), (keep == 0).sum().item<int64_t>());
}

TEST(BiasSiluDropoutTest, GradientsMatchFiniteDifferences) {
  const double p = 0.25, eps = 1e-6;
  torch::manual_seed(3);
  const torch::Tensor h = torch::randn({2, 3, 5}, torch::kDouble), b = torch::randn({5}, torch::kDouble);
  const torch::Tensor w = torch::randn({2, 3, 5}, torch::kDouble);
  auto loss = [&](const torch::Tensor& x, const torch::Tensor& c) {
    torch::manual_seed(4);  // the same mask every call
    return (BiasSiluDropout(x, c, p, true) * w).sum();
  };
  const Grads g = Through([&](auto& x, auto& c) {
    torch::manual_seed(4);
    return BiasSiluDropout(x, c, p, true);
  }, h, b, w);
  torch::NoGradGuard no_grad;
  auto check = [&](const torch::Tensor& analytic, bool of_h) {
    for (int64_t i = 0; i < analytic.numel(); ++i) {
      torch::Tensor hp = h.clone(), bp = b.clone(), hm = h.clone(), bm = b.clone();
      (of_h ? hp : bp).view({-1})[i] += eps;
      (of_h ? hm : bm).view({-1})[i] -= eps;
      const double numeric = (loss(hp, bp).item<double>() - loss(hm, bm).item<double>()) / (2 * eps);
      EXPECT_NEAR(analytic.view({-1})[i].item<double>(), numeric, 1e-6) << (of_h ? "h " : "bias ") << i;
    }
  };
  check(g.dh, true);
  check(g.db, false);
  EXPECT_GT((g.dh == 0).sum().item<int64_t>(), 0);  // some elements were dropped
}

TEST(BiasSiluDropoutTest, TheSeedAndNotTheThreadsDecide) {
  torch::manual_seed(5);
  const torch::Tensor h = Input(), b = torch::randn({257});
  std::vector<torch::Tensor> y;
  for (int threads : {1, 2}) {
    at::set_num_threads(threads);
    torch::manual_seed(6);
    y.push_back(BiasSiluDropout(h, b, 0.2, true));
    y.push_back(BiasSiluDropout(h, b, 0.2, true));  // the next draw: another mask
  }
  EXPECT_TRUE(torch::equal(y[0], y[2]));
  EXPECT_TRUE(torch::equal(y[1], y[3]));
  EXPECT_FALSE(torch::equal(y[0], y[1]));
}

TEST(BiasSiluDropoutTest, Bf16IsComputedInFloat) {
  torch::manual_seed(7);
  const torch::Tensor h = Input(), b = torch::randn({257});
  torch::manual_seed(8);
  const torch::Tensor want = BiasSiluDropout(h.to(torch::kBFloat16).to(torch::kFloat), b.to(torch::kBFloat16).to(torch::kFloat), 0.1, true);
  torch::manual_seed(8);
  const torch::Tensor got = BiasSiluDropout(h.to(torch::kBFloat16), b, 0.1, true);
  ASSERT_EQ(got.scalar_type(), torch::kBFloat16);
  EXPECT_LE(MaxDiff(got.to(torch::kFloat), want), 0.01 * want.abs().max().item<double>());
}

}  // namespace
}  // namespace attn::model
