#include "lib/model/model_registry.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "lib/model/checkpoint.h"
#include "lib/model/dense_model.h"
#include "lib/model/sparse_model.h"
#include "lib/model/test_helpers.h"

namespace attn::model {
namespace {

std::vector<TensorShape> Sorted(std::vector<TensorShape> t) {
  std::sort(t.begin(), t.end(), [](const TensorShape& a, const TensorShape& b) { return a.name < b.name; });
  return t;
}

// A spec parsed from a model's metadata lists exactly the model's state dict, and builds a
// model with the same configuration.
void ExpectSpecDescribes(LanguageModel& model) {
  Metadata metadata = model.ConfigMetadata();
  metadata["kind"] = model.Kind();
  absl::StatusOr<ModelSpec> spec = ParseModelSpec(metadata);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->kind, model.Kind());
  EXPECT_EQ(spec->config, model.ConfigMetadata());
  EXPECT_EQ(spec->tied, model.TiedWeights());
  EXPECT_EQ(spec->layers, model.NumLayers());
  EXPECT_EQ(spec->heads, model.NumHeads());
  EXPECT_EQ(spec->max_len, model.MaxSeqLen());
  std::vector<TensorShape> state;
  for (const auto& [name, tensor] : StateDict(model)) state.push_back({name, tensor.sizes().vec()});
  EXPECT_EQ(Sorted(spec->tensors), Sorted(state));
  absl::StatusOr<std::shared_ptr<LanguageModel>> built = spec->build();
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ((*built)->ConfigMetadata(), model.ConfigMetadata());
}

TEST(ModelRegistryTest, KindsByName) {
  std::vector<std::string> names;
  for (const ModelKind& kind : ModelKinds()) names.push_back(kind.name);
  EXPECT_EQ(names, (std::vector<std::string>{"dense", "sparse"}));
  ASSERT_TRUE(FindModelKind("sparse").ok());
  EXPECT_EQ((*FindModelKind("sparse"))->name, "sparse");
  EXPECT_TRUE(Contains(FindModelKind("lstm").status().message(), "unknown model kind \"lstm\" (known: dense, sparse)"));
  EXPECT_TRUE(Contains(ParseModelSpec({}).status().message(), "metadata lacks \"kind\""));
}

TEST(ModelRegistryTest, SpecsListTheStateDictOfEveryKind) {
  for (auto [d, h, n, ff, len] :
       {std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t>{16, 4, 2, 8, 32}, {24, 6, 3, 40, 7}}) {
    DenseConfig dense;
    SparseConfig sparse;
    dense.d_model = sparse.d_model = d;
    dense.heads = sparse.heads = h;
    dense.layers = sparse.layers = n;
    dense.ff = sparse.ff = ff;
    dense.max_len = sparse.max_len = len;
    ExpectSpecDescribes(**MakeDenseModel(dense));
    ExpectSpecDescribes(**MakeSparseModel(sparse));
  }
}

TEST(ModelRegistryTest, ConfigKeysAreTheTables) {
  DenseConfig dense;
  const std::vector<std::string>& keys = (*FindModelKind("dense"))->config_keys;
  for (const auto& [key, value] : dense.ToMetadata()) {
    EXPECT_NE(std::find(keys.begin(), keys.end(), key), keys.end()) << key;
  }
  SparseConfig sparse;
  const std::vector<std::string>& sparse_keys = (*FindModelKind("sparse"))->config_keys;
  for (const auto& [key, value] : sparse.ToMetadata()) {
    EXPECT_NE(std::find(sparse_keys.begin(), sparse_keys.end(), key), sparse_keys.end()) << key;
  }
}

}  // namespace
}  // namespace attn::model
