#include "lib/model/sparse_model.h"

#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "lib/model/head_patterns.h"
#include "lib/model/sparse_attention.h"

namespace attn::model {
namespace {

using torch::indexing::Slice;

SparseConfig Small() {
  SparseConfig c;
  c.d_model = 16;
  c.heads = 4;
  c.layers = 2;
  c.ff = 24;
  c.max_len = 40;
  return c;
}

std::shared_ptr<LanguageModel> Make(const SparseConfig& c) {
  absl::StatusOr<std::shared_ptr<LanguageModel>> m = MakeSparseModel(c);
  EXPECT_TRUE(m.ok()) << m.status();
  return *m;
}

torch::Tensor RandomTokens(int64_t b, int64_t l) { return torch::randint(0, 256, {b, l}, torch::kLong); }

bool Contains(absl::string_view text, absl::string_view part) { return text.find(part) != absl::string_view::npos; }

TEST(SparseConfigTest, ValidateRejectsBadConfigs) {
  EXPECT_TRUE(Small().Validate().ok());
  SparseConfig c = Small();
  c.heads = 3;
  EXPECT_TRUE(Contains(c.Validate().message(), "must divide d_model")) << c.Validate();
  c.d_model = 18;  // divisible, but the patterns have no default for 3 heads
  EXPECT_TRUE(Contains(c.Validate().message(), "no default attention pattern assignment for 3 heads")) << c.Validate();
  EXPECT_FALSE(MakeSparseModel(c).ok());
  c.head_patterns = "0,1,2";  // an explicit assignment makes 3 heads fine
  EXPECT_TRUE(c.Validate().ok()) << c.Validate();
  c.head_patterns = "0,1";
  EXPECT_FALSE(c.Validate().ok());
  c = Small();
  c.max_len = 0;
  EXPECT_TRUE(Contains(c.Validate().message(), "max_len = 0 must be positive"));
  c = Small();
  c.dropout = 1.5;
  EXPECT_FALSE(c.Validate().ok());
}

TEST(SparseConfigTest, MetadataRecordsTheResolvedPatterns) {
  SparseConfig c = Small();
  c.heads = 8;
  c.d_model = 32;
  c.mask_subset = "03";
  auto m = c.ToMetadata();
  EXPECT_EQ(m.at("head_patterns"), "0,0,0,0,3,3,3,3");  // DESIGN.md: "03" with 8 heads gives {0:4, 3:4}
  EXPECT_EQ(m.at("mask_subset"), "03");
  absl::StatusOr<SparseConfig> back = SparseConfig::FromMetadata(m);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->ToMetadata(), m);
  EXPECT_EQ(Make(c)->ConfigMetadata(), m);
}

TEST(SparseModelTest, StateDictNamesAreTheOriginals) {
  auto m = Make(Small());
  std::set<std::string> names;
  for (const auto& p : m->named_parameters()) names.insert(p.key());
  std::set<std::string> expected = {"token_embedding.weight", "output_projection.bias"};
  for (const std::string i : {"0", "1"}) {
    const std::string p = "transformer_encoder." + i + ".";
    for (const char* s : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
      expected.insert(p + "self_attn." + s + ".weight");
      expected.insert(p + "self_attn." + s + ".bias");
    }
    for (const char* s : {"linear1", "linear2", "norm1", "norm2"}) {
      expected.insert(p + s + ".weight");
      expected.insert(p + s + ".bias");
    }
  }
  EXPECT_EQ(names, expected);
  ASSERT_EQ(m->named_buffers().size(), 1u);
  EXPECT_EQ(m->named_buffers()["pos_encoder.pe"].sizes(), torch::IntArrayRef({1, 40, 16}));
}

TEST(SparseModelTest, ParameterCountMatchesTheFormula) {
  for (auto [d, h, n, ff] : {std::tuple<int64_t, int64_t, int64_t, int64_t>{16, 4, 2, 24}, {48, 6, 3, 10}}) {
    SparseConfig c = Small();
    c.d_model = d;
    c.heads = h;
    c.layers = n;
    c.ff = ff;
    int64_t count = 0;
    for (const auto& p : Make(c)->parameters()) count += p.numel();
    // embedding + per layer: q, k, v, out (d x d + d each), linear1 (d x ff + ff), linear2
    // (ff x d + d), two LayerNorms (4d) + output bias (the output weight is the embedding).
    const int64_t expected = 256 * d + n * (4 * (d * d + d) + d * ff + ff + ff * d + d + 4 * d) + 256;
    EXPECT_EQ(count, expected) << d << " " << h << " " << n << " " << ff;
  }
}

TEST(SparseModelTest, ShapesAndAttentionFollowThePatterns) {
  torch::manual_seed(1);
  SparseConfig c = Small();
  c.heads = 8;
  c.d_model = 32;
  auto m = Make(c);
  m->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor tokens = RandomTokens(2, 33);
  std::vector<torch::Tensor> attention;
  const torch::Tensor logits = m->ForwardWithAttention(tokens, &attention);
  EXPECT_EQ(logits.sizes(), torch::IntArrayRef({2, 33, 256}));
  ASSERT_EQ(attention.size(), 2u);
  std::vector<AttentionPattern> patterns;
  const std::vector<std::string> names = *DefaultHeadPatternNames(8, "");
  for (const std::string& name : names) patterns.push_back(*BuiltinPattern(name));
  const torch::Tensor allowed = PatternMask(patterns, 33);
  for (const torch::Tensor& a : attention) {
    EXPECT_EQ(a.sizes(), torch::IntArrayRef({2, 8, 33, 33}));
    EXPECT_TRUE(torch::allclose(a.sum(-1), torch::ones({2, 8, 33})));
    EXPECT_EQ(a.masked_select(~allowed.unsqueeze(0).expand_as(a)).abs().max().item<float>(), 0.0f);
  }
  EXPECT_TRUE(torch::allclose(m->Forward(tokens), logits));
}

TEST(SparseModelTest, CausalForEveryPattern) {
  for (const char* spec : {"0,0,0,0", "1,1,1,1", "2,2,2,2", "3,3,3,3", ""}) {
    torch::manual_seed(2);
    SparseConfig c = Small();
    c.head_patterns = spec;
    auto m = Make(c);
    m->eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor tokens = RandomTokens(2, 40);
    const torch::Tensor base = m->Forward(tokens);
    for (int64_t t : {0, 9, 17, 39}) {
      torch::Tensor changed = tokens.clone();
      changed.index_put_({Slice(), t}, (changed.index({Slice(), t}) + 1) % 256);
      const torch::Tensor out = m->Forward(changed);
      EXPECT_TRUE(torch::equal(out.index({Slice(), Slice(0, t)}), base.index({Slice(), Slice(0, t)})))
          << spec << " " << t;
      EXPECT_FALSE(torch::allclose(out.index({Slice(), t}), base.index({Slice(), t}))) << spec << " " << t;
    }
  }
}

TEST(SparseModelTest, MaskedAndKernelAttentionAgree) {
  SparseConfig c = Small();
  torch::manual_seed(3);
  c.attention = SparseAttentionImpl::kMasked;
  auto masked = Make(c);
  torch::manual_seed(3);
  c.attention = SparseAttentionImpl::kKernel;
  auto kernel = Make(c);
  masked->eval();
  kernel->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor tokens = RandomTokens(2, 37);
  EXPECT_TRUE(torch::allclose(masked->Forward(tokens), kernel->Forward(tokens), 1e-5, 1e-5));
}

TEST(SparseModelTest, EveryParameterReceivesAGradient) {
  torch::manual_seed(4);
  auto m = Make(Small());
  m->train();
  const torch::Tensor tokens = RandomTokens(2, 20);
  torch::nn::functional::cross_entropy(m->Forward(tokens).reshape({-1, 256}), tokens.roll(-1, 1).reshape({-1}))
      .backward();
  for (const auto& p : m->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
  }
}

TEST(SparseModelTest, EvalIsDeterministicTrainingIsNot) {
  torch::manual_seed(5);
  auto m = Make(Small());
  torch::NoGradGuard no_grad;
  const torch::Tensor tokens = RandomTokens(2, 16);
  m->eval();
  EXPECT_TRUE(torch::equal(m->Forward(tokens), m->Forward(tokens)));
  m->train();
  EXPECT_FALSE(torch::equal(m->Forward(tokens), m->Forward(tokens)));
}

TEST(SparseModelTest, InitialisationIsPyTorchDefault) {
  torch::manual_seed(6);
  SparseConfig c = Small();
  c.d_model = 64;
  auto m = Make(c);
  auto params = m->named_parameters();
  EXPECT_NEAR(params["token_embedding.weight"].std().item<double>(), 1.0, 0.05);
  EXPECT_LE(params["transformer_encoder.0.linear1.weight"].abs().max().item<double>(), 1.0 / 8);  // 1/sqrt(64)
  EXPECT_LE(params["output_projection.bias"].abs().max().item<double>(), 1.0 / 8);
  const torch::Tensor pe = m->named_buffers()["pos_encoder.pe"];
  EXPECT_NEAR(pe.index({0, 5, 1}).item<double>(), std::cos(5.0), 1e-6);
}

TEST(SparseModelTest, OverlongSequenceIsAClearError) {
  auto m = Make(Small());
  EXPECT_THROW(m->Forward(RandomTokens(1, 41)), std::invalid_argument);
}

}  // namespace
}  // namespace attn::model
