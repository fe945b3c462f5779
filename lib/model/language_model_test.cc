// The LanguageModel interface on every model: the per-head output mask of head importance.
#include "lib/model/language_model.h"

#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/model/dense_model.h"
#include "lib/model/pattern_file.h"
#include "lib/model/pattern_support_for_test.h"
#include "lib/model/sparse_model.h"

namespace attn::model {
namespace {

struct Case {
  std::string name;
  std::function<std::shared_ptr<LanguageModel>()> make;
  std::string out_proj;  // "%d" stands for the layer
};

std::vector<Case> Models() {
  DenseConfig dense;
  dense.d_model = 16;
  dense.heads = 4;
  dense.layers = 2;
  dense.ff = 8;
  dense.max_len = 32;
  DenseConfig patterned = dense;
  patterned.patterns = *ParsePatternFile(kCustomPatternFile, "custom", 2, 4);
  SparseConfig sparse;
  sparse.d_model = 16;
  sparse.heads = 4;
  sparse.layers = 2;
  sparse.ff = 24;
  sparse.max_len = 32;
  return {{"dense", [=] { return *MakeDenseModel(dense); }, "transformer_blocks.%d.self_attn.out_proj.weight"},
          {"dense with patterns", [=] { return *MakeDenseModel(patterned); },
           "transformer_blocks.%d.self_attn.out_proj.weight"},
          {"sparse", [=] { return *MakeSparseModel(sparse); }, "transformer_encoder.%d.self_attn.out_proj.weight"}};
}

std::string Layer(std::string pattern, int64_t layer) {
  return pattern.replace(pattern.find("%d"), 2, std::to_string(layer));
}

torch::Tensor Loss(LanguageModel& m, const torch::Tensor& tokens) {
  return torch::nn::functional::cross_entropy(m.Forward(tokens).reshape({-1, 256}), tokens.roll(-1, 1).reshape({-1}));
}

TEST(HeadMaskTest, AllOnesIsNoMask) {
  for (const Case& c : Models()) {
    torch::manual_seed(1);
    auto m = c.make();
    m->eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor tokens = torch::randint(0, 256, {2, 19}, torch::kLong);
    const torch::Tensor plain = m->Forward(tokens);
    ASSERT_TRUE(m->SetHeadMask(torch::ones({2, 4})).ok());
    EXPECT_TRUE(torch::equal(m->Forward(tokens), plain)) << c.name;
    ASSERT_TRUE(m->SetHeadMask(torch::Tensor()).ok());
    EXPECT_TRUE(torch::equal(m->Forward(tokens), plain)) << c.name;
    EXPECT_FALSE(m->head_mask().defined());
  }
}

// Ablating head h of layer l is the same as zeroing the columns of that layer's output
// projection that read head h.
TEST(HeadMaskTest, ZeroingAHeadIsZeroingItsOutputColumns) {
  for (const Case& c : Models()) {
    for (const auto& [layer, head] : {std::pair<int64_t, int64_t>{0, 1}, {1, 3}}) {
      torch::manual_seed(2);
      auto masked = c.make();
      torch::manual_seed(2);
      auto cut = c.make();
      masked->eval();
      cut->eval();
      torch::NoGradGuard no_grad;
      torch::Tensor mask = torch::ones({2, 4});
      mask[layer][head] = 0;
      ASSERT_TRUE(masked->SetHeadMask(mask).ok());
      const int64_t dh = 16 / 4;
      cut->named_parameters()[Layer(c.out_proj, layer)]
          .index_put_({torch::indexing::Slice(), torch::indexing::Slice(head * dh, (head + 1) * dh)}, 0.0);
      const torch::Tensor tokens = torch::randint(0, 256, {2, 23}, torch::kLong);
      const torch::Tensor a = masked->Forward(tokens), b = cut->Forward(tokens);
      EXPECT_LE((a - b).abs().max().item<double>(), 1e-6) << c.name << " layer " << layer << " head " << head;
      masked->SetHeadMask({}).IgnoreError();
      EXPECT_GT((masked->Forward(tokens) - a).abs().max().item<double>(), 1e-4) << c.name;  // the head mattered
    }
  }
}

// d loss / d mask by autograd against central differences, in double precision.
TEST(HeadMaskTest, GradientMatchesFiniteDifferences) {
  for (const Case& c : Models()) {
    torch::manual_seed(3);
    auto m = c.make();
    m->to(torch::kDouble);
    m->eval();
    const torch::Tensor tokens = torch::randint(0, 256, {2, 13}, torch::kLong);
    const torch::Tensor values = 1.0 + 0.3 * torch::randn({2, 4}, torch::kDouble);
    torch::Tensor mask = values.clone().requires_grad_(true);
    ASSERT_TRUE(m->SetHeadMask(mask).ok());
    Loss(*m, tokens).backward();
    const torch::Tensor grad = mask.grad().clone();
    torch::NoGradGuard no_grad;
    const double eps = 1e-6;
    for (int64_t l = 0; l < 2; ++l) {
      for (int64_t h = 0; h < 4; ++h) {
        torch::Tensor up = values.clone(), down = values.clone();
        up[l][h] += eps;
        down[l][h] -= eps;
        ASSERT_TRUE(m->SetHeadMask(up).ok());
        const double plus = Loss(*m, tokens).item<double>();
        ASSERT_TRUE(m->SetHeadMask(down).ok());
        const double minus = Loss(*m, tokens).item<double>();
        const double numeric = (plus - minus) / (2 * eps);
        EXPECT_NEAR(grad[l][h].item<double>(), numeric, 1e-6 + 1e-5 * std::abs(numeric))
            << c.name << " layer " << l << " head " << h;
      }
    }
    EXPECT_GT(grad.abs().sum().item<double>(), 0) << c.name;
  }
}

TEST(HeadMaskTest, WrongShapeIsRefused) {
  auto m = Models()[0].make();
  EXPECT_NE(std::string(m->SetHeadMask(torch::ones({4, 2})).message()).find("must be a [2, 4] float tensor"),
            std::string::npos);
  EXPECT_FALSE(m->SetHeadMask(torch::ones({2, 4}, torch::kLong)).ok());
  EXPECT_FALSE(m->SetHeadMask(torch::ones({8})).ok());
  EXPECT_FALSE(m->head_mask().defined());
}

}  // namespace
}  // namespace attn::model
