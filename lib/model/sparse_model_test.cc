#include "lib/model/sparse_model.h"

#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "lib/model/head_patterns.h"
#include "lib/model/pattern_file.h"
#include "lib/model/pattern_support_for_test.h"
#include "lib/model/sparse_attention.h"
#include "lib/model/test_helpers.h"

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
  EXPECT_EQ(m.at("head_patterns"), "0,0,0,0,3,3,3,3");  // docs/design.md section 6: "03" with 8 heads gives {0:4, 3:4}
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

// A smaller embedding initialisation scales the original's draws: every other weight of the
// seed is unchanged, and only a non-default value is written to the metadata.
TEST(SparseModelTest, EmbeddingStdScalesTheSameDraws) {
  SparseConfig c = Small();
  torch::manual_seed(6);
  auto original = Make(c);
  c.embedding_std = 0.02;
  torch::manual_seed(6);
  auto small = Make(c);
  auto a = original->named_parameters(), b = small->named_parameters();
  for (const auto& item : a) {
    const torch::Tensor expected =
        item.key() == "token_embedding.weight" ? item.value() * 0.02 : item.value();
    EXPECT_TRUE(torch::allclose(b[item.key()], expected, 0, 0)) << item.key();
  }
  EXPECT_FALSE(original->ConfigMetadata().count("embedding_std"));
  EXPECT_EQ(small->ConfigMetadata().at("embedding_std"), "0.02");
  absl::StatusOr<SparseConfig> back = SparseConfig::FromMetadata(small->ConfigMetadata());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->embedding_std, 0.02);
  c.embedding_std = 0;
  EXPECT_TRUE(Contains(c.Validate().message(), "embedding_std")) << c.Validate();
}

// The original's four patterns written as a pattern file under other names: the same support
// and, trained a few steps with dropout from the same seed, exactly the same weights.
TEST(SparseModelTest, BuiltinsAsAPatternFileTrainTheSameWeights) {
  SparseConfig c = Small();
  c.heads = 8;
  c.d_model = 32;
  SparseConfig from_file = c;
  absl::StatusOr<HeadPatterns> p = ParsePatternFile(
      R"({"patterns": {"near": {"window": 8}, "mid": {"window": 16}, "str": {"window": 32, "stride": 8},
                       "far": {"stride": 16, "anchors": [0, 0.1, 0.2, 0.3, 0.382, 0.5, 0.618, 0.7, 0.8, 0.9, 1]}},
          "heads": ["near", "mid", "mid", "str", "str", "str", "far", "far"]})",
      "builtins.json", c.layers, c.heads);
  ASSERT_TRUE(p.ok()) << p.status();
  from_file.patterns = *p;
  std::vector<std::shared_ptr<LanguageModel>> models;
  const torch::Tensor tokens = RandomTokens(4, 40);
  for (const SparseConfig& config : {c, from_file}) {
    torch::manual_seed(31);
    auto m = Make(config);
    m->train();
    torch::optim::AdamW adamw(m->parameters(), torch::optim::AdamWOptions(1e-2));
    for (int step = 0; step < 3; ++step) {
      adamw.zero_grad();
      torch::nn::functional::cross_entropy(m->Forward(tokens).reshape({-1, 256}), tokens.roll(-1, 1).reshape({-1}))
          .backward();
      adamw.step();
    }
    models.push_back(m);
  }
  int compared = 0;
  for (const auto& q : models[0]->named_parameters()) {
    EXPECT_TRUE(torch::equal(q.value(), models[1]->named_parameters()[q.key()])) << q.key();
    ++compared;
  }
  EXPECT_EQ(compared, 2 + 2 * 16);
  models[0]->eval();
  models[1]->eval();
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> a, b;
  models[0]->ForwardWithAttention(tokens, &a);
  models[1]->ForwardWithAttention(tokens, &b);
  for (size_t l = 0; l < a.size(); ++l) {
    EXPECT_TRUE(torch::equal(a[l] > 0, b[l] > 0)) << l;
    EXPECT_TRUE(SupportIsTheRule(b[l], p->Layer(l)));
  }
}

TEST(SparseModelTest, CustomPatternsPerLayerFollowTheirRule) {
  torch::manual_seed(12);
  SparseConfig c = Small();
  absl::StatusOr<HeadPatterns> p = ParsePatternFile(kCustomPatternFile, "custom", c.layers, c.heads);
  ASSERT_TRUE(p.ok()) << p.status();
  c.patterns = *p;
  for (const SparseAttentionImpl impl : {SparseAttentionImpl::kKernel, SparseAttentionImpl::kMasked}) {
    c.attention = impl;
    auto m = Make(c);
    m->eval();
    torch::NoGradGuard no_grad;
    for (const int64_t L : {1, 17, 40}) {
      std::vector<torch::Tensor> attention;
      m->ForwardWithAttention(RandomTokens(2, L), &attention);
      ASSERT_EQ(attention.size(), 2u);
      for (int64_t layer = 0; layer < 2; ++layer) {
        EXPECT_TRUE(SupportIsTheRule(attention[layer], p->Layer(layer))) << "layer " << layer << " L " << L;
      }
    }
  }
}

TEST(SparseConfigTest, PatternFileConfigs) {
  SparseConfig c = Small();
  c.patterns = *ParsePatternFile(kCustomPatternFile, "custom", c.layers, c.heads);
  ASSERT_TRUE(c.Validate().ok()) << c.Validate();
  EXPECT_TRUE(*c.ResolvedPatterns() == c.patterns);
  const Metadata m = c.ToMetadata();
  EXPECT_EQ(m.at("head_patterns"), "");  // different in each layer: no digits
  EXPECT_EQ(m.at("patterns"), PatternFileText(c.patterns, nlohmann::json::object(), -1));
  absl::StatusOr<SparseConfig> back = SparseConfig::FromMetadata(m);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->patterns == c.patterns);
  EXPECT_EQ(back->ToMetadata(), m);
  // A pattern file and the digit forms are exclusive.
  SparseConfig both = c;
  both.mask_subset = "03";
  EXPECT_TRUE(Contains(both.Validate().message(), "not both"));
  both = c;
  both.head_patterns = "0,0,0,0";
  EXPECT_TRUE(Contains(both.Validate().message(), "not both"));
  SparseConfig wrong = c;
  wrong.layers = 3;
  EXPECT_TRUE(Contains(wrong.Validate().message(), "patterns are for 2 layers x 4 heads, the model has 3 x 4"));
}

TEST(SparseConfigTest, DigitConfigsStoreTheirResolvedPatterns) {
  SparseConfig c = Small();
  c.mask_subset = "12";
  const Metadata m = c.ToMetadata();
  const HeadPatterns resolved = *c.ResolvedPatterns();
  EXPECT_EQ(resolved.LayerNames(1), (std::vector<std::string>{"strided", "strided", "global", "global"}));
  EXPECT_EQ(m.at("patterns"), PatternFileText(resolved, nlohmann::json::object(), -1));
  // Read back, they are the digit config again (its patterns are the digits' own).
  absl::StatusOr<SparseConfig> back = SparseConfig::FromMetadata(m);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->patterns.empty());
  EXPECT_EQ(back->mask_subset, "12");
  // Metadata from before pattern files (no "patterns") resolves to the same model.
  Metadata old = m;
  old.erase("patterns");
  absl::StatusOr<SparseConfig> from_old = SparseConfig::FromMetadata(old);
  ASSERT_TRUE(from_old.ok()) << from_old.status();
  EXPECT_EQ(from_old->ToMetadata(), m);
  // Stored patterns that contradict the recorded digits are refused.
  Metadata contradiction = m;
  contradiction["patterns"] = PatternFileText(*HeadPatterns::SameEveryLayer({}, {"local8", "local8", "local8", "local8"}, 2),
                                              nlohmann::json::object(), -1);
  absl::StatusOr<SparseConfig> bad = SparseConfig::FromMetadata(contradiction);
  ASSERT_TRUE(bad.ok());
  EXPECT_TRUE(Contains(bad->Validate().message(), "not both"));
}

TEST(SparseModelTest, OverlongSequenceIsAClearError) {
  auto m = Make(Small());
  EXPECT_THROW(m->Forward(RandomTokens(1, 41)), std::invalid_argument);
}

}  // namespace
}  // namespace attn::model
