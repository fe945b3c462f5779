#include "lib/train/optimizer.h"

#include <algorithm>
#include <cmath>

#include "gtest/gtest.h"
#include "lib/train/tiny_model_for_test.h"

namespace attn::train {
namespace {

TEST(OptimizerTest, DecayGroupsByNameWithTiedWeightsOnce) {
  TinyModel model;
  DecayGroups groups = SplitDecayGroups(model);
  std::sort(groups.decay_names.begin(), groups.decay_names.end());
  std::sort(groups.no_decay_names.begin(), groups.no_decay_names.end());
  // The tied weight is listed once, under whichever of its names comes first.
  const std::vector<std::string> under_embedding = {"embedding.weight", "hidden.weight",
                                                     "previous.weight"};
  const std::vector<std::string> under_output = {"hidden.weight", "output_weight",
                                                  "previous.weight"};
  EXPECT_TRUE(groups.decay_names == under_embedding || groups.decay_names == under_output);
  EXPECT_EQ(groups.no_decay_names, (std::vector<std::string>{"hidden.bias", "output_bias"}));
  EXPECT_EQ(UniqueParameters(model).size(), 5u);
}

TEST(OptimizerTest, FirstAdamWStepDecaysOnlyTheDecayGroup) {
  torch::manual_seed(0);
  TinyModel model;
  const double lr = 0.01, wd = 0.1;
  auto optimizer = MakeAdamW(model, lr, wd);
  ASSERT_EQ(optimizer->param_groups().size(), 2u);
  std::vector<torch::Tensor> params = UniqueParameters(model);
  std::vector<torch::Tensor> before;
  for (auto& p : params) {
    before.push_back(p.detach().clone());
    p.mutable_grad() = torch::full_like(p, 0.5);
  }
  optimizer->step();
  // Step 1 of AdamW: m_hat = g, v_hat = g^2, so p1 = p0 (1 - lr wd) - lr g / (|g| + eps).
  const double move = lr * 0.5 / (0.5 + 1e-8);
  for (size_t i = 0; i < params.size(); ++i) {
    const double decay = i < 3 ? wd : 0.0;  // decayed group first, as in SplitDecayGroups
    torch::Tensor want = before[i] * (1 - lr * decay) - move;
    EXPECT_TRUE(torch::allclose(params[i], want, 1e-6, 1e-7)) << "parameter " << i;
  }
  // The tied output weight is the embedding itself, stepped once.
  EXPECT_TRUE(model.named_parameters()["output_weight"].is_same(params[0]));
}

TEST(OptimizerTest, SetLearningRateReachesEveryGroup) {
  TinyModel model;
  auto optimizer = MakeAdamW(model, 1e-3, 0.1);
  SetLearningRate(*optimizer, 5e-4);
  for (auto& group : optimizer->param_groups()) {
    EXPECT_DOUBLE_EQ(static_cast<torch::optim::AdamWOptions&>(group.options()).lr(), 5e-4);
  }
}

TEST(OptimizerTest, ClipGradNormScalesToTheLimit) {
  torch::Tensor a = torch::zeros({1}, torch::requires_grad());
  torch::Tensor b = torch::zeros({1}, torch::requires_grad());
  a.mutable_grad() = torch::full({1}, 3.0);
  b.mutable_grad() = torch::full({1}, 4.0);
  EXPECT_NEAR(ClipGradNorm({a, b}, 1.0), 5.0, 1e-6);  // sqrt(3^2 + 4^2)
  EXPECT_NEAR(a.grad().item<double>(), 0.6, 1e-5);
  EXPECT_NEAR(b.grad().item<double>(), 0.8, 1e-5);
  // Below the limit the gradients stay as they are.
  EXPECT_NEAR(ClipGradNorm({a, b}, 2.0), 1.0, 1e-5);
  EXPECT_NEAR(a.grad().item<double>(), 0.6, 1e-5);
}

}  // namespace
}  // namespace attn::train
