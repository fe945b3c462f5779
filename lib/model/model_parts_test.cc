#include "lib/model/model_parts.h"

#include "gtest/gtest.h"

namespace attn::model {
namespace {

TEST(TruncatedNormalTest, DrawsWithinTheBoundsWithTheTruncatedSpread) {
  torch::manual_seed(1);
  torch::Tensor t = torch::zeros({200000});
  TruncatedNormal(t, 0.02, -0.04, 0.04);
  EXPECT_GE(t.min().item<double>(), -0.04);
  EXPECT_LE(t.max().item<double>(), 0.04);
  // N(0, 0.02^2) cut at two standard deviations: std 0.02 * 0.8796 (the truncated normal's).
  EXPECT_NEAR(t.std().item<double>(), 0.02 * 0.8796, 2e-4);
  EXPECT_NEAR(t.mean().item<double>(), 0.0, 2e-4);
}

TEST(TruncatedNormalTest, DrawsNothingWhileWeightsAreToBeLoaded) {
  torch::manual_seed(2);
  const torch::Tensor before = at::detail::getDefaultCPUGenerator().get_state();
  torch::Tensor t = torch::full({1000}, 7.0);
  {
    WeightsToBeLoaded outer;
    {
      WeightsToBeLoaded inner;
    }
    TruncatedNormal(t, 0.02, -0.04, 0.04);  // still inside `outer`
  }
  EXPECT_TRUE(torch::equal(t, torch::full({1000}, 7.0)));
  EXPECT_TRUE(torch::equal(at::detail::getDefaultCPUGenerator().get_state(), before));
  TruncatedNormal(t, 0.02, -0.04, 0.04);
  EXPECT_LE(t.abs().max().item<double>(), 0.04);
}

}  // namespace
}  // namespace attn::model
