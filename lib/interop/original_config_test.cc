#include "lib/interop/original_config.h"

#include <string>

#include "gtest/gtest.h"
#include "lib/model/checkpoint.h"
#include "lib/model/dense_model.h"
#include "lib/model/sparse_model.h"

namespace attn::interop {
namespace {

::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" lacks \"" << part << "\"";
}

TensorsByName StateOf(model::LanguageModel& m) {
  TensorsByName state;
  for (const auto& [name, tensor] : model::StateDict(m)) state[name] = tensor;
  return state;
}

model::DenseConfig SmallDense() {
  model::DenseConfig c;
  c.d_model = 16;
  c.heads = 2;
  c.layers = 3;
  c.ff = 8;
  c.max_len = 40;
  return c;
}

model::SparseConfig SmallSparse() {
  model::SparseConfig c;
  c.d_model = 16;
  c.heads = 4;
  c.layers = 2;
  c.ff = 12;
  c.max_len = 32;
  c.mask_subset = "03";
  return c;
}

TensorsByName DenseState() { return StateOf(**model::MakeDenseModel(SmallDense())); }
TensorsByName SparseState() { return StateOf(**model::MakeSparseModel(SmallSparse())); }

std::string ErrorOf(const TensorsByName& state, const ConfigByName& config, const OriginalModelOptions& options,
                    absl::StatusCode code = absl::StatusCode::kFailedPrecondition) {
  absl::StatusOr<OriginalModel> m = MakeOriginalModel(state, config, options);
  EXPECT_FALSE(m.ok());
  if (m.ok()) return "";
  EXPECT_EQ(m.status().code(), code) << m.status();
  return std::string(m.status().message());
}

TEST(OriginalConfigTest, InfersTheDenseConfigurationFromShapes) {
  OriginalModelOptions options;
  options.heads = 2;
  absl::StatusOr<OriginalModel> m = MakeOriginalModel(DenseState(), {}, options);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->model->Kind(), "dense");
  EXPECT_EQ(m->model->ConfigMetadata(), (**model::MakeDenseModel(SmallDense())).ConfigMetadata());
  // The positional table (40 rows) caps the original's 1024.
  EXPECT_EQ(m->seq_len, 40);
}

TEST(OriginalConfigTest, TakesHeadsAndDropoutsFromTheConfig) {
  ConfigByName config = {{"nhead", int64_t{2}}, {"d_model", int64_t{16}}, {"num_layers", int64_t{3}},
                         {"dim_feedforward", int64_t{8}}, {"vocab_size", int64_t{256}}, {"dropout", 0.2},
                         {"stochastic_depth_prob", int64_t{0}}, {"use_checkpoint", true}};
  absl::StatusOr<OriginalModel> m = MakeOriginalModel(DenseState(), config, {});
  ASSERT_TRUE(m.ok()) << m.status();
  model::DenseConfig want = SmallDense();
  want.dropout = 0.2;
  want.stochastic_depth = 0;
  EXPECT_EQ(m->model->ConfigMetadata(), want.ToMetadata());
}

TEST(OriginalConfigTest, ConfigThatDisagreesWithTheTensorsIsAnError) {
  EXPECT_TRUE(Contains(ErrorOf(DenseState(), {{"nhead", int64_t{2}}, {"num_layers", int64_t{12}}}, {}),
                       "config num_layers = 12 but transformer_blocks.* gives 3"));
  EXPECT_TRUE(Contains(ErrorOf(DenseState(), {{"nhead", int64_t{2}}, {"dim_feedforward", int64_t{2048}}}, {}),
                       "config dim_feedforward = 2048"));
  EXPECT_TRUE(Contains(ErrorOf(DenseState(), {{"nhead", 2.5}}, {}), "config nhead is not an integer"));
  OriginalModelOptions heads4;
  heads4.heads = 4;
  EXPECT_TRUE(Contains(ErrorOf(DenseState(), {{"nhead", int64_t{2}}}, heads4), "config nhead = 2"));
}

TEST(OriginalConfigTest, HeadsMustComeFromSomewhere) {
  EXPECT_TRUE(Contains(ErrorOf(DenseState(), {}, {}), "give heads"));
  OriginalModelOptions heads3;
  heads3.heads = 3;  // does not divide d_model 16
  EXPECT_TRUE(Contains(ErrorOf(DenseState(), {}, heads3), "heads = 3 must divide d_model = 16"));
}

TEST(OriginalConfigTest, KindAndLayersComeFromTheKeys) {
  OriginalModelOptions options;
  options.heads = 2;
  options.kind = "sparse";
  EXPECT_TRUE(Contains(ErrorOf(DenseState(), {}, options), "the state_dict is the dense model's"));
  options.kind = "big";
  EXPECT_TRUE(Contains(ErrorOf(DenseState(), {}, options, absl::StatusCode::kInvalidArgument), "`kind`=big"));
  options.kind = "";
  TensorsByName gap = DenseState();
  for (auto it = gap.begin(); it != gap.end();) {
    it = it->first.rfind("transformer_blocks.1.", 0) == 0 ? gap.erase(it) : std::next(it);
  }
  EXPECT_TRUE(Contains(ErrorOf(gap, {}, options), "lacks every tensor of transformer_blocks.1*"));
  EXPECT_TRUE(Contains(ErrorOf({{"w", torch::zeros({2})}}, {}, options), "neither embedding.weight"));
}

// Wide tensors named as a model's, but too few for one: refused before a model of that
// width (here 512 x 1536 attention weights alone) is built.
TEST(OriginalConfigTest, TooFewWeightsForTheShapesAreRefusedBeforeBuilding) {
  TensorsByName sketch = {{"embedding.weight", torch::zeros({256, 512})},
                          {"pos_encoder.pe", torch::zeros({10, 512})},
                          {"transformer_blocks.0.feed_forward.0.weight", torch::zeros({8, 512})}};
  OriginalModelOptions options;
  options.heads = 2;
  EXPECT_TRUE(Contains(ErrorOf(sketch, {}, options), "holds 140288 weights, fewer than 1 layers of width 512 need"));
}

TEST(OriginalConfigTest, InfersTheSparseConfigurationAndResolvesMaskSubset) {
  ConfigByName config = {{"nhead", int64_t{4}}, {"seq_length", int64_t{32}}, {"mask_subset", std::string("03")}};
  absl::StatusOr<OriginalModel> m = MakeOriginalModel(SparseState(), config, {});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->model->Kind(), "sparse");
  const std::map<std::string, std::string> got = m->model->ConfigMetadata();
  EXPECT_EQ(got, (**model::MakeSparseModel(SmallSparse())).ConfigMetadata());
  EXPECT_EQ(got.at("head_patterns"), "0,0,3,3");  // "03" with 4 heads: {0:2, 3:2}
  EXPECT_EQ(m->seq_len, 32);
  // The same subset as a list of pattern numbers.
  config["mask_subset"] = c10::List<int64_t>({0, 3});
  m = MakeOriginalModel(SparseState(), config, {});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->model->ConfigMetadata().at("mask_subset"), "03");
  config["seq_length"] = int64_t{1024};
  EXPECT_TRUE(Contains(ErrorOf(SparseState(), config, {}), "config seq_length = 1024 but pos_encoder.pe gives 32"));
}

TEST(OriginalConfigTest, SeqLenCanBeGivenWithinTheTable) {
  OriginalModelOptions options;
  options.heads = 2;
  options.seq_len = 24;
  absl::StatusOr<OriginalModel> m = MakeOriginalModel(DenseState(), {}, options);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->seq_len, 24);
  options.seq_len = 41;
  EXPECT_TRUE(Contains(ErrorOf(DenseState(), {}, options), "longer than the positional table (40 positions)"));
}

}  // namespace
}  // namespace attn::interop
