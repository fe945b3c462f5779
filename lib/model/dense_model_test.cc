#include "lib/model/dense_model.h"

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/io/atomic_file.h"
#include "lib/model/pattern_file.h"
#include "lib/model/pattern_support_for_test.h"

namespace attn::model {
namespace {

DenseConfig Small() {
  DenseConfig c;
  c.d_model = 16;
  c.heads = 4;
  c.layers = 2;
  c.ff = 8;
  c.max_len = 32;
  return c;
}

std::shared_ptr<LanguageModel> Make(const DenseConfig& c) {
  absl::StatusOr<std::shared_ptr<LanguageModel>> m = MakeDenseModel(c);
  EXPECT_TRUE(m.ok()) << m.status();
  return *m;
}

torch::Tensor RandomTokens(int64_t b, int64_t l) { return torch::randint(0, 256, {b, l}, torch::kLong); }

TEST(DenseConfigTest, ValidateRejectsBadConfigs) {
  EXPECT_TRUE(Small().Validate().ok());
  DenseConfig c = Small();
  c.heads = 3;
  EXPECT_NE(std::string(c.Validate().message()).find("heads = 3 must divide d_model = 16"), std::string::npos);
  c = Small();
  c.layers = 0;
  EXPECT_NE(std::string(c.Validate().message()).find("layers = 0 must be positive"), std::string::npos);
  c = Small();
  c.d_model = 6;
  c.heads = 3;
  EXPECT_TRUE(c.Validate().ok());
  c.d_model = 9;
  EXPECT_NE(std::string(c.Validate().message()).find("even"), std::string::npos);
  c = Small();
  c.dropout = 1.0;
  EXPECT_FALSE(c.Validate().ok());
  c = Small();
  c.token_dropout = -0.1;
  EXPECT_FALSE(c.Validate().ok());
  EXPECT_FALSE(MakeDenseModel(c).ok());
}

TEST(DenseConfigTest, MetadataRoundTrip) {
  DenseConfig c = Small();
  c.dropout = 0.1;
  c.attention_dropout = 0.07;
  absl::StatusOr<DenseConfig> back = DenseConfig::FromMetadata(c.ToMetadata());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->d_model, 16);
  EXPECT_EQ(back->max_len, 32);
  EXPECT_EQ(back->dropout, 0.1);
  EXPECT_EQ(back->attention_dropout, 0.07);
  EXPECT_EQ(c.ToMetadata().at("dropout"), "0.1");
  auto broken = c.ToMetadata();
  broken.erase("heads");
  EXPECT_FALSE(DenseConfig::FromMetadata(broken).ok());
  broken = c.ToMetadata();
  broken["layers"] = "two";
  EXPECT_FALSE(DenseConfig::FromMetadata(broken).ok());
}

TEST(DenseModelTest, StateDictNamesAreTheOriginals) {
  auto m = Make(Small());
  std::set<std::string> names;
  for (const auto& p : m->named_parameters()) names.insert(p.key());
  std::set<std::string> buffers;
  for (const auto& b : m->named_buffers()) buffers.insert(b.key());
  std::set<std::string> expected = {"embedding.weight", "pos_encoder.alpha", "pos_encoder.position_ff.0.weight",
                                    "pos_encoder.position_ff.0.bias", "pos_encoder.position_ff.3.weight",
                                    "pos_encoder.position_ff.3.bias", "pos_encoder.norm.weight",
                                    "pos_encoder.norm.bias", "norm.weight", "norm.bias", "output.bias"};
  for (const std::string i : {"0", "1"}) {
    const std::string p = "transformer_blocks." + i + ".";
    for (const char* s : {"gamma1", "gamma2", "self_attn.in_proj_weight", "self_attn.in_proj_bias",
                          "self_attn.out_proj.weight", "self_attn.out_proj.bias", "feed_forward.0.weight",
                          "feed_forward.0.bias", "feed_forward.3.weight", "feed_forward.3.bias", "norm1.weight",
                          "norm1.bias", "norm2.weight", "norm2.bias"}) {
      expected.insert(p + s);
    }
  }
  EXPECT_EQ(names, expected);
  EXPECT_EQ(buffers, std::set<std::string>({"pos_encoder.pe"}));
  EXPECT_EQ(m->named_buffers()["pos_encoder.pe"].sizes(), torch::IntArrayRef({32, 16}));
  EXPECT_EQ(m->named_parameters()["transformer_blocks.1.feed_forward.0.weight"].sizes(),
            torch::IntArrayRef({16, 16}));  // 2 * ff rows
}

TEST(DenseModelTest, ParameterCountMatchesTheFormula) {
  for (auto [d, h, n, ff] : {std::tuple<int64_t, int64_t, int64_t, int64_t>{16, 4, 2, 8}, {24, 3, 3, 40}}) {
    DenseConfig c = Small();
    c.d_model = d;
    c.heads = h;
    c.layers = n;
    c.ff = ff;
    int64_t count = 0;
    for (const auto& p : Make(c)->parameters()) count += p.numel();
    // embedding + alpha + position_ff (2 Linear d->d) + positional LayerNorm
    // + per block: in_proj (3d x d + 3d), out_proj (d x d + d), FF (d x 2ff + 2ff, 2ff x d + d),
    //   two LayerNorms (4d), gamma1, gamma2
    // + final LayerNorm + output bias (the output weight is the embedding).
    const int64_t expected = 256 * d + 1 + 2 * (d * d + d) + 2 * d +
                             n * (3 * d * d + 3 * d + d * d + d + d * 2 * ff + 2 * ff + 2 * ff * d + d + 4 * d + 2) +
                             2 * d + 256;
    EXPECT_EQ(count, expected) << d << " " << h << " " << n << " " << ff;
  }
}

TEST(DenseModelTest, ShapesAndAttentionProbabilities) {
  torch::manual_seed(1);
  auto m = Make(Small());
  m->eval();
  const torch::Tensor tokens = RandomTokens(3, 10);
  std::vector<torch::Tensor> attention;
  torch::Tensor logits = m->ForwardWithAttention(tokens, &attention);
  EXPECT_EQ(logits.sizes(), torch::IntArrayRef({3, 10, 256}));
  ASSERT_EQ(attention.size(), 2u);
  for (const torch::Tensor& a : attention) {
    EXPECT_EQ(a.sizes(), torch::IntArrayRef({3, 4, 10, 10}));
    EXPECT_TRUE(torch::allclose(a.sum(-1), torch::ones({3, 4, 10})));
    EXPECT_EQ(a.triu(1).abs().max().item<float>(), 0.0f);  // nothing from the future
    EXPECT_EQ(a.index({0, 0, 0, 0}).item<float>(), 1.0f);  // the first byte sees only itself
  }
  EXPECT_TRUE(torch::equal(logits, m->Forward(tokens)));
}

TEST(DenseModelTest, Causal) {
  torch::manual_seed(2);
  auto m = Make(Small());
  m->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor tokens = RandomTokens(2, 12);
  const torch::Tensor base = m->Forward(tokens);
  for (int64_t t : {0, 5, 11}) {
    torch::Tensor changed = tokens.clone();
    changed.index_put_({torch::indexing::Slice(), t}, (changed.index({torch::indexing::Slice(), t}) + 1) % 256);
    const torch::Tensor out = m->Forward(changed);
    using torch::indexing::Slice;
    EXPECT_TRUE(torch::equal(out.index({Slice(), Slice(0, t)}), base.index({Slice(), Slice(0, t)}))) << t;
    EXPECT_FALSE(torch::allclose(out.index({Slice(), t}), base.index({Slice(), t}))) << t;
  }
}

TEST(DenseModelTest, EveryParameterReceivesAGradient) {
  torch::manual_seed(3);
  DenseConfig c = Small();
  c.stochastic_depth = 0.0;  // so that no block is skipped in this one step
  auto m = Make(c);
  m->train();
  const torch::Tensor tokens = RandomTokens(2, 8);
  torch::Tensor loss = torch::nn::functional::cross_entropy(m->Forward(tokens).reshape({-1, 256}),
                                                            tokens.roll(-1, 1).reshape({-1}));
  loss.backward();
  for (const auto& p : m->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
  }
}

// With dropout, token dropout and stochastic depth all active, checkpointed training must
// give the same loss and gradients as plain training from the same seed.
TEST(DenseModelTest, GradientCheckpointingGivesTheSameGradients) {
  DenseConfig c = Small();
  c.layers = 4;
  c.dropout = 0.2;
  c.stochastic_depth = 0.3;
  const torch::Tensor tokens = RandomTokens(2, 12);
  std::vector<std::map<std::string, torch::Tensor>> grads;
  std::vector<double> losses;
  for (bool checkpointing : {false, true}) {
    c.gradient_checkpointing = checkpointing;
    torch::manual_seed(21);
    auto m = Make(c);
    m->train();
    for (int step = 0; step < 3; ++step) {  // several draws of the skip and dropout masks
      torch::Tensor loss = torch::nn::functional::cross_entropy(m->Forward(tokens).reshape({-1, 256}),
                                                                tokens.roll(-1, 1).reshape({-1}));
      loss.backward();
      losses.push_back(loss.item<double>());
    }
    std::map<std::string, torch::Tensor> g;
    for (const auto& p : m->named_parameters()) g[p.key()] = p.value().grad().clone();
    grads.push_back(g);
  }
  for (int step = 0; step < 3; ++step) EXPECT_EQ(losses[step], losses[3 + step]) << step;
  for (const auto& [name, g] : grads[0]) {
    EXPECT_TRUE(torch::allclose(g, grads[1].at(name), 1e-5, 1e-7)) << name;
  }
  EXPECT_GT(grads[1].at("transformer_blocks.3.feed_forward.0.weight").abs().sum().item<double>(), 0.0);
}

TEST(DenseModelTest, EvalIsDeterministicTrainingIsNot) {
  torch::manual_seed(4);
  auto m = Make(Small());
  torch::NoGradGuard no_grad;
  const torch::Tensor tokens = RandomTokens(2, 16);
  m->eval();
  EXPECT_TRUE(torch::equal(m->Forward(tokens), m->Forward(tokens)));
  m->train();
  EXPECT_FALSE(torch::equal(m->Forward(tokens), m->Forward(tokens)));
}

TEST(DenseModelTest, InitialisationFollowsTheOriginal) {
  torch::manual_seed(5);
  DenseConfig c = Small();
  c.d_model = 64;
  c.ff = 128;
  auto m = Make(c);
  auto params = m->named_parameters();
  EXPECT_NEAR(params["embedding.weight"].std().item<double>(), 0.02, 0.002);
  EXPECT_NEAR(params["pos_encoder.position_ff.0.weight"].std().item<double>(), 0.02, 0.002);
  EXPECT_EQ(params["pos_encoder.position_ff.3.bias"].abs().max().item<double>(), 0.0);
  const torch::Tensor ff = params["transformer_blocks.1.feed_forward.3.weight"];
  EXPECT_LE(ff.abs().max().item<double>(), 0.04);
  EXPECT_NEAR(ff.std().item<double>(), 0.0176, 0.002);  // std of N(0, .02) truncated at 2 sigma
  EXPECT_EQ(params["transformer_blocks.0.self_attn.in_proj_bias"].abs().max().item<double>(), 0.0);
  EXPECT_EQ(params["transformer_blocks.0.self_attn.out_proj.bias"].abs().max().item<double>(), 0.0);
  // xavier_uniform over [3d, d]: bound sqrt(6 / (d + 3d)).
  EXPECT_LE(params["transformer_blocks.0.self_attn.in_proj_weight"].abs().max().item<double>(),
            std::sqrt(6.0 / (4 * 64)));
  EXPECT_EQ(params["transformer_blocks.1.gamma2"].item<double>(), 1.0);
  EXPECT_EQ(params["pos_encoder.alpha"].item<double>(), 1.0);
  EXPECT_EQ(params["output.bias"].abs().max().item<double>(), 0.0);  // zeroed, as the original does
  const torch::Tensor pe = m->named_buffers()["pos_encoder.pe"];
  EXPECT_NEAR(pe.index({3, 0}).item<double>(), std::sin(3.0), 1e-6);
  EXPECT_NEAR(pe.index({3, 1}).item<double>(), std::cos(3.0), 1e-6);
  EXPECT_NEAR(pe.index({7, 2}).item<double>(), std::sin(7.0 / std::pow(10000.0, 2.0 / 64)), 1e-6);
}

HeadPatterns Custom() {
  absl::StatusOr<HeadPatterns> p = ParsePatternFile(kCustomPatternFile, "custom", 2, 4);
  EXPECT_TRUE(p.ok()) << p.status();
  return *p;
}

double MaxDiff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

TEST(DenseModelTest, PatternsRestrictEachHeadToItsRule) {
  torch::manual_seed(11);
  DenseConfig c = Small();
  c.patterns = Custom();
  auto m = Make(c);
  m->eval();
  torch::NoGradGuard no_grad;
  for (const int64_t L : {1, 9, 31}) {
    std::vector<torch::Tensor> attention;
    const torch::Tensor logits = m->ForwardWithAttention(RandomTokens(2, L), &attention);
    EXPECT_EQ(logits.sizes(), torch::IntArrayRef({2, L, 256}));
    ASSERT_EQ(attention.size(), 2u);
    for (int64_t layer = 0; layer < 2; ++layer) {
      EXPECT_TRUE(SupportIsTheRule(attention[layer], c.patterns.Layer(layer))) << "layer " << layer << " L " << L;
      EXPECT_TRUE(torch::allclose(attention[layer].sum(-1), torch::ones({2, 4, L})));
    }
  }
}

// The controlled experiment's baseline: the pattern "dense" on every head, through the kernel,
// is the original model computed another way.
TEST(DenseModelTest, DensePatternEverywhereEqualsThePlainModel) {
  DenseConfig c = Small();
  c.dropout = c.attention_dropout = c.activation_dropout = c.token_dropout = c.stochastic_depth = 0;
  DenseConfig patterned = c;
  patterned.patterns = *HeadPatterns::SameEveryLayer({}, {"dense", "dense", "dense", "dense"}, c.layers);
  torch::manual_seed(8);
  auto plain = Make(c);
  torch::manual_seed(8);
  auto kernel = Make(patterned);
  for (const auto& p : plain->named_parameters()) {
    ASSERT_TRUE(torch::equal(p.value(), kernel->named_parameters()[p.key()])) << p.key();  // same init
  }
  const torch::Tensor tokens = RandomTokens(2, 20);
  plain->train();
  kernel->train();  // no randomness left: training mode differs from eval only in the graph
  std::vector<torch::Tensor> plain_attention, kernel_attention;
  const torch::Tensor plain_logits = plain->ForwardWithAttention(tokens, &plain_attention);
  const torch::Tensor kernel_logits = kernel->ForwardWithAttention(tokens, &kernel_attention);
  EXPECT_LE(MaxDiff(plain_logits, kernel_logits), 1e-5);
  for (size_t l = 0; l < plain_attention.size(); ++l) {
    EXPECT_LE(MaxDiff(plain_attention[l], kernel_attention[l]), 1e-6) << l;
  }
  auto loss = [&](const torch::Tensor& logits) {
    return torch::nn::functional::cross_entropy(logits.reshape({-1, 256}), tokens.roll(-1, 1).reshape({-1}));
  };
  loss(plain_logits).backward();
  loss(kernel_logits).backward();
  for (const auto& p : plain->named_parameters()) {
    EXPECT_LE(MaxDiff(p.value().grad(), kernel->named_parameters()[p.key()].grad()), 1e-5) << p.key();
  }
  EXPECT_GT(kernel->named_parameters()["transformer_blocks.0.self_attn.in_proj_weight"].grad().abs().sum().item<double>(), 0);
}

// Training without patterns computes attention through the kernel (full causal attention on
// every head), evaluation and attention records through PyTorch's operations: with no
// randomness left the two agree to rounding (and differ in it, which shows which ran), and
// so do their gradients.
TEST(DenseModelTest, TrainingAttentionGoesThroughTheKernel) {
  DenseConfig c = Small();
  c.dropout = c.attention_dropout = c.activation_dropout = c.token_dropout = c.stochastic_depth = 0;
  torch::manual_seed(9);
  auto m = Make(c);
  const torch::Tensor tokens = RandomTokens(2, 20);
  auto loss = [&](const torch::Tensor& logits) {
    return torch::nn::functional::cross_entropy(logits.reshape({-1, 256}), tokens.roll(-1, 1).reshape({-1}));
  };
  m->train();
  const torch::Tensor kernel_logits = m->Forward(tokens);
  loss(kernel_logits).backward();
  std::map<std::string, torch::Tensor> kernel_grads;
  for (const auto& p : m->named_parameters()) kernel_grads[p.key()] = p.value().grad().clone();
  m->zero_grad();
  std::vector<torch::Tensor> attention;
  const torch::Tensor torch_logits = m->ForwardWithAttention(tokens, &attention);  // PyTorch's operations
  loss(torch_logits).backward();
  EXPECT_LE(MaxDiff(kernel_logits, torch_logits), 1e-5);
  EXPECT_FALSE(torch::equal(kernel_logits, torch_logits));
  for (const auto& p : m->named_parameters()) EXPECT_LE(MaxDiff(p.value().grad(), kernel_grads.at(p.key())), 1e-5) << p.key();
  m->eval();
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(m->Forward(tokens), torch_logits));
}

TEST(DenseModelTest, GradientCheckpointingWithPatterns) {
  DenseConfig c = Small();
  c.dropout = 0.2;
  c.attention_dropout = 0.3;
  c.patterns = Custom();
  const torch::Tensor tokens = RandomTokens(2, 12);
  std::vector<std::map<std::string, torch::Tensor>> grads;
  for (bool checkpointing : {false, true}) {
    c.gradient_checkpointing = checkpointing;
    torch::manual_seed(22);
    auto m = Make(c);
    m->train();
    for (int step = 0; step < 2; ++step) {
      torch::nn::functional::cross_entropy(m->Forward(tokens).reshape({-1, 256}), tokens.roll(-1, 1).reshape({-1}))
          .backward();
    }
    std::map<std::string, torch::Tensor> g;
    for (const auto& p : m->named_parameters()) g[p.key()] = p.value().grad().clone();
    grads.push_back(g);
  }
  for (const auto& [name, g] : grads[0]) EXPECT_TRUE(torch::allclose(g, grads[1].at(name), 1e-5, 1e-7)) << name;
}

TEST(DenseConfigTest, PatternsAreCheckedAndStored) {
  DenseConfig c = Small();
  EXPECT_EQ(c.ToMetadata().count("patterns"), 0u);  // the original model's metadata is unchanged
  c.patterns = Custom();
  ASSERT_TRUE(c.Validate().ok()) << c.Validate();
  const Metadata m = c.ToMetadata();
  EXPECT_EQ(m.at("patterns"), PatternFileText(c.patterns, nlohmann::json::object(), -1));
  absl::StatusOr<DenseConfig> back = DenseConfig::FromMetadata(m);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->patterns == c.patterns);
  EXPECT_EQ(back->ToMetadata(), m);
  c.heads = 2;
  EXPECT_NE(std::string(c.Validate().message()).find("patterns are for 2 layers x 4 heads, the model has 2 x 2"),
            std::string::npos);
  EXPECT_FALSE(MakeDenseModel(c).ok());
}

// Bad pattern files, read for a config's layers and heads: one error naming the file and field.
TEST(DenseConfigTest, BadPatternFilesNameTheFileAndField) {
  const DenseConfig c = Small();
  const std::string dir = std::getenv("TEST_TMPDIR");
  const std::pair<std::string, std::string> cases[] = {
      {R"({"heads": ["local8", "local8", "nope", "local8"]})", "layer 0 head 2: unknown pattern \"nope\""},
      {R"({"patterns": {"w": {"window": -2}}, "heads": ["w", "w", "w", "w"]})", "patterns.w.window = -2"},
      {R"({"patterns": {"s": {"stride": -1}}, "heads": ["s", "s", "s", "s"]})", "patterns.s.stride = -1"},
      {R"({"patterns": {"a": {"anchors": [0, 1.5]}}, "heads": ["a", "a", "a", "a"]})", "patterns.a.anchors[1] = 1.5"},
      {R"({"heads": ["local8", "local8"]})", "heads has 2 names for 4 heads"},
      {R"({"heads": [["local8", "local8", "local8", "local8"]]})", "heads has 1 per-layer lists for 2 layers"},
      {"window: 3", "not JSON"},
  };
  int n = 0;
  for (const auto& [text, field] : cases) {
    const std::string path = dir + "/bad" + std::to_string(n++) + ".json";
    ASSERT_TRUE(io::WriteFileAtomically(path, text).ok());
    absl::StatusOr<HeadPatterns> p = ReadPatternFile(path, c.layers, c.heads);
    ASSERT_FALSE(p.ok()) << text;
    const std::string message(p.status().message());
    EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << message;
    EXPECT_NE(message.find(field), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(DenseModelTest, OverlongSequenceIsAClearError) {
  auto m = Make(Small());
  try {
    m->Forward(RandomTokens(1, 33));
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("sequence length 33 is outside 1..32"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace attn::model
