#include "lib/model/checkpoint.h"

#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <string>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "lib/io/atomic_file.h"
#include "lib/io/safetensors.h"
#include "lib/model/dense_model.h"
#include "lib/model/sparse_model.h"
#include "lib/model/test_helpers.h"

namespace attn::model {
namespace {

DenseConfig SmallDense() {
  DenseConfig c;
  c.d_model = 8;
  c.heads = 2;
  c.layers = 2;
  c.ff = 4;
  c.max_len = 16;
  c.dropout = 0.05;
  return c;
}

std::shared_ptr<LanguageModel> Dense() {
  absl::StatusOr<std::shared_ptr<LanguageModel>> m = MakeDenseModel(SmallDense());
  EXPECT_TRUE(m.ok()) << m.status();
  return *m;
}

TEST(CheckpointTest, DenseRoundTrip) {
  torch::manual_seed(1);
  auto model = Dense();
  const std::string path = TempPath("dense.safetensors");
  ASSERT_TRUE(SaveCheckpoint(path, *model, {{"step", "42"}, {"optimizer", "adamw"}}).ok());

  absl::StatusOr<LoadedCheckpoint> loaded = LoadCheckpoint(path, "dense");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->model->Kind(), "dense");
  EXPECT_EQ(loaded->metadata.at("kind"), "dense");
  EXPECT_EQ(loaded->metadata.at("step"), "42");
  EXPECT_EQ(loaded->metadata.at("d_model"), "8");
  EXPECT_EQ(loaded->metadata.at("dropout"), "0.05");
  model->eval();
  loaded->model->eval();
  const torch::Tensor tokens = torch::randint(0, 256, {2, 16}, torch::kLong);
  EXPECT_TRUE(torch::equal(model->Forward(tokens), loaded->model->Forward(tokens)));
  // Weight tying survives: the output weight is still the embedding.
  auto params = loaded->model->named_parameters();
  EXPECT_FALSE(params.contains("output.weight"));
}

TEST(CheckpointTest, SparseRoundTripAndKindMismatch) {
  torch::manual_seed(5);
  SparseConfig c;
  c.d_model = 16;
  c.heads = 8;
  c.layers = 1;
  c.ff = 8;
  c.max_len = 24;
  c.mask_subset = "12";
  auto model = *MakeSparseModel(c);
  const std::string path = TempPath("sparse.safetensors");
  ASSERT_TRUE(SaveCheckpoint(path, *model, {{"best_valid_bpc", "1.5"}}).ok());
  absl::StatusOr<LoadedCheckpoint> loaded = LoadCheckpoint(path, "sparse");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  // "12" keeps {1:3, 2:2}; the 3 freed heads go round-robin 1, 2, 1.
  EXPECT_EQ(loaded->metadata.at("head_patterns"), "1,1,1,1,1,2,2,2");
  EXPECT_EQ(loaded->model->ConfigMetadata(), model->ConfigMetadata());
  model->eval();
  loaded->model->eval();
  const torch::Tensor tokens = torch::randint(0, 256, {2, 24}, torch::kLong);
  EXPECT_TRUE(torch::equal(model->Forward(tokens), loaded->model->Forward(tokens)));
  absl::StatusOr<io::Safetensors> file = io::ReadSafetensors(path);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->tensors.at("output_projection.weight").data, file->tensors.at("token_embedding.weight").data);
  EXPECT_EQ(file->tensors.at("pos_encoder.pe").shape, std::vector<int64_t>({1, 24, 16}));
  EXPECT_TRUE(Contains(LoadCheckpoint(path, "dense").status().message(),
                       "sparse.safetensors: this is a sparse checkpoint, but a dense model is needed"));
  EXPECT_TRUE(Contains(LoadCheckpointInto(path, *Dense()).status().message(), "this is a sparse checkpoint"));
}

TEST(CheckpointTest, PatternsTravelWithTheCheckpoint) {
  torch::manual_seed(6);
  DenseConfig c = SmallDense();
  c.patterns = *HeadPatterns::Make({{"near", {1, 0, {}}}, {"cols", {std::nullopt, 3, {1}}}},
                                   {{"near", "dense"}, {"cols", "global"}});
  auto model = *MakeDenseModel(c);
  const std::string path = TempPath("patterned.safetensors");
  ASSERT_TRUE(SaveCheckpoint(path, *model, {}).ok());
  absl::StatusOr<LoadedCheckpoint> loaded = LoadCheckpoint(path, "dense");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->spec.patterns == c.patterns);
  EXPECT_EQ(loaded->model->ConfigMetadata(), model->ConfigMetadata());
  model->eval();
  loaded->model->eval();
  const torch::Tensor tokens = torch::randint(0, 256, {2, 16}, torch::kLong);
  std::vector<torch::Tensor> a, b;
  EXPECT_TRUE(torch::equal(model->ForwardWithAttention(tokens, &a), loaded->model->ForwardWithAttention(tokens, &b)));
  for (size_t l = 0; l < a.size(); ++l) EXPECT_TRUE(torch::equal(a[l], b[l])) << l;
  EXPECT_GT((a[0][0][0] == 0).sum().item<int64_t>(), 16 * 15 / 2);  // head 0 of layer 0 is a narrow band
  // The same weights in a model without the patterns are another model.
  auto plain = *MakeDenseModel(SmallDense());
  EXPECT_TRUE(Contains(LoadCheckpointInto(path, *plain).status().message(), "config patterns is"));
}

// A sparse checkpoint written before pattern files has the digits only: it loads, and into a
// model of today's code too.
TEST(CheckpointTest, SparseCheckpointWithoutPatternsStillLoads) {
  torch::manual_seed(7);
  SparseConfig c;
  c.d_model = 16;
  c.heads = 4;
  c.layers = 2;
  c.ff = 8;
  c.max_len = 20;
  c.mask_subset = "03";
  auto model = *MakeSparseModel(c);
  const std::string path = TempPath("old_sparse.safetensors");
  ASSERT_TRUE(SaveCheckpoint(path, *model, {}).ok());
  absl::StatusOr<io::Safetensors> file = io::ReadSafetensors(path);
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(file->metadata.erase("patterns"), 1u);
  ASSERT_TRUE(io::WriteSafetensors(path, *file).ok());
  absl::StatusOr<LoadedCheckpoint> loaded = LoadCheckpoint(path, "sparse");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->model->ConfigMetadata(), model->ConfigMetadata());
  EXPECT_EQ(loaded->spec.patterns.LayerNames(0), (std::vector<std::string>{"local8", "local8", "local16", "local16"}));
  model->eval();
  loaded->model->eval();
  const torch::Tensor tokens = torch::randint(0, 256, {2, 20}, torch::kLong);
  EXPECT_TRUE(torch::equal(model->Forward(tokens), loaded->model->Forward(tokens)));
  auto fresh = *MakeSparseModel(c);
  EXPECT_TRUE(LoadCheckpointInto(path, *fresh).ok());
}

TEST(CheckpointTest, LoadingLeavesTheRandomStreamAlone) {
  auto model = Dense();
  const std::string path = TempPath("rng.safetensors");
  ASSERT_TRUE(SaveCheckpoint(path, *model, {}).ok());
  torch::manual_seed(9);
  const torch::Tensor expected = torch::rand({4});
  torch::manual_seed(9);
  ASSERT_TRUE(LoadCheckpoint(path).ok());
  EXPECT_TRUE(torch::equal(torch::rand({4}), expected));
}

TEST(CheckpointTest, FileHoldsEveryStateDictKeyWithTiedCopies) {
  torch::manual_seed(2);
  auto model = Dense();
  const std::string path = TempPath("keys.safetensors");
  ASSERT_TRUE(SaveCheckpoint(path, *model, {}).ok());
  absl::StatusOr<io::Safetensors> file = io::ReadSafetensors(path);
  ASSERT_TRUE(file.ok()) << file.status();
  // parameters + pe + output.weight
  EXPECT_EQ(file->tensors.size(), model->named_parameters().size() + 2);
  EXPECT_EQ(file->tensors.at("output.weight").data, file->tensors.at("embedding.weight").data);
  EXPECT_EQ(file->tensors.at("output.weight").shape, std::vector<int64_t>({256, 8}));
  EXPECT_EQ(file->tensors.at("pos_encoder.pe").shape, std::vector<int64_t>({16, 8}));
  EXPECT_EQ(file->tensors.at("pos_encoder.alpha").dtype, "F32");
  EXPECT_EQ(file->metadata.at("kind"), "dense");
}

TEST(CheckpointTest, ReservedMetadataKeyIsRejected) {
  auto model = Dense();
  const std::string path = TempPath("reserved.safetensors");
  absl::Status s = SaveCheckpoint(path, *model, {{"heads", "3"}});
  EXPECT_TRUE(Contains(s.message(), "reserved"));
  EXPECT_FALSE(io::ReadFile(path).ok());  // nothing written
  // Every key of the kind's configuration is reserved, also one this model does not write.
  EXPECT_TRUE(Contains(SaveCheckpoint(path, *model, {{"kind", "sparse"}}).message(), "reserved"));
  EXPECT_TRUE(Contains(SaveCheckpoint(path, *model, {{"patterns", "{}"}}).message(), "reserved"));
}

// Saves a good checkpoint, applies `edit` to it, writes it back and loads it.
absl::Status LoadEdited(const std::string& name, const std::function<void(io::Safetensors&)>& edit,
                        const std::string& expected_kind = "") {
  torch::manual_seed(3);
  auto model = Dense();
  const std::string path = TempPath(name);
  EXPECT_TRUE(SaveCheckpoint(path, *model, {}).ok());
  absl::StatusOr<io::Safetensors> file = io::ReadSafetensors(path);
  EXPECT_TRUE(file.ok());
  edit(*file);
  EXPECT_TRUE(io::WriteSafetensors(path, *file).ok());
  return LoadCheckpoint(path, expected_kind).status();
}

TEST(CheckpointTest, StrictLoadFailures) {
  struct Case {
    std::string name;
    std::function<void(io::Safetensors&)> edit;
    std::string message;
  };
  const Case cases[] = {
      {"missing", [](io::Safetensors& f) { f.tensors.erase("norm.bias"); }, "lacks tensors norm.bias"},
      {"extra", [](io::Safetensors& f) { f.tensors["spare.weight"] = f.tensors["norm.bias"]; },
       "unexpected tensors spare.weight"},
      {"shape",
       [](io::Safetensors& f) {
         f.tensors["norm.bias"].shape = {2, 4};
       },
       "norm.bias has shape [2,4], the model needs [8]"},
      {"dtype",
       [](io::Safetensors& f) {
         auto& t = f.tensors["norm.bias"];
         t.dtype = "F64";
         t.shape = {4};
       },
       "norm.bias is F64, expected F32"},
      {"config", [](io::Safetensors& f) { f.metadata["layers"] = "3"; }, "lacks tensors transformer_blocks.2."},
      {"bad config", [](io::Safetensors& f) { f.metadata["heads"] = "3"; }, "bad model config"},
      {"no config", [](io::Safetensors& f) { f.metadata.erase("ff"); }, "metadata lacks \"ff\""},
      {"no kind", [](io::Safetensors& f) { f.metadata.erase("kind"); }, "no \"kind\""},
      {"unknown kind", [](io::Safetensors& f) { f.metadata["kind"] = "lstm"; }, "unknown model kind \"lstm\""},
      {"tied differ", [](io::Safetensors& f) { f.tensors["output.weight"].data[0] ^= 1; }, "differs from"},
  };
  for (const Case& c : cases) {
    absl::Status s = LoadEdited(c.name + ".safetensors", c.edit);
    EXPECT_FALSE(s.ok()) << c.name;
    EXPECT_TRUE(Contains(s.message(), c.name + ".safetensors")) << c.name;
    EXPECT_TRUE(Contains(s.message(), c.message)) << c.name;
  }
}

// The hostile metadata values that once crashed or hung generate and dump_attention: each is
// now one error naming the file and the key, from LoadCheckpoint and from the image check.
TEST(CheckpointTest, HostileMetadataIsRefusedBeforeAnythingIsBuilt) {
  struct Case {
    std::string key, value, message;
  };
  const Case cases[] = {
      {"d_model", "4000000", "d_model = 4000000 must be at most 65536"},
      {"max_len", "4000000000", "max_len = 4000000000 must be at most 1048576"},
      {"layers", "100000000", "layers = 100000000 must be at most 1024"},
      {"heads", "99999999999999999999999", "metadata \"heads\" = \"99999999999999999999999\" is not an integer"},
      {"dropout", "nan", "dropout = nan must be in [0, 1)"},
      {"seq_len", "abc", "bad training state in the metadata: metadata \"seq_len\" = \"abc\" is not an integer"},
      {"seq_len", "18446744073709551616", "\"seq_len\" = \"18446744073709551616\" is not an integer"},
      {"seq_len", "17", "seq_len = 17 exceeds the model's max_len = 16"},
      {"seq_len", "0", "seq_len = 0 must be positive"},
      {"step", "-3", "step = -3 must be at least 0"},
      {"valid_bpc", "inf", "valid_bpc = inf must be finite"},
      // Within the limits but not what the tensors hold: refused by shape before the model
      // (a pe table of 10^6 x 60000 floats, 240 GB) would be allocated.
      {"max_len", "1000000", "pos_encoder.pe has shape [16,8], the model needs [1000000,8]"},
      {"layers", "1000", "lacks tensors transformer_blocks.2."},
  };
  for (const Case& c : cases) {
    const std::string name = c.key + "_" + c.value.substr(0, 8) + ".safetensors";
    absl::Status s = LoadEdited(name, [&](io::Safetensors& f) { f.metadata[c.key] = c.value; });
    EXPECT_TRUE(Contains(s.message(), name)) << c.key << "=" << c.value;
    EXPECT_TRUE(Contains(s.message(), c.message)) << c.key << "=" << c.value;
    absl::StatusOr<std::string> bytes = io::ReadFile(TempPath(name));
    ASSERT_TRUE(bytes.ok());
    absl::Status image = CheckCheckpointImage(*bytes, name);
    EXPECT_TRUE(Contains(image.message(), c.message)) << c.key << "=" << c.value << ": " << image;
  }
  // Both at once: the width passes its limit, the shape check refuses it before building.
  absl::Status s = LoadEdited("wide.safetensors", [](io::Safetensors& f) {
    f.metadata["d_model"] = "60000";
    f.metadata["heads"] = "2";
    f.metadata["max_len"] = "1000000";
  });
  EXPECT_TRUE(Contains(s.message(), "embedding.weight has shape [256,8], the model needs [256,60000]")) << s;
}

TEST(CheckpointTest, NonFiniteWeightsAreRefused) {
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    absl::Status s = LoadEdited("nan.safetensors", [&](io::Safetensors& f) {
      std::memcpy(&f.tensors["norm.weight"].data[4], &bad, sizeof bad);
    });
    EXPECT_TRUE(Contains(s.message(), "nan.safetensors: tensor norm.weight holds 1 NaN or infinite values (of 8)"))
        << s;
    torch::manual_seed(3);
    auto model = Dense();
    EXPECT_TRUE(Contains(LoadCheckpointInto(TempPath("nan.safetensors"), *model).status().message(),
                         "NaN or infinite"));
  }
}

TEST(CheckpointTest, TrainingStateIsParsed) {
  auto model = Dense();
  const std::string path = TempPath("state.safetensors");
  ASSERT_TRUE(SaveCheckpoint(path, *model,
                             {{"seq_len", "12"}, {"step", "40"}, {"valid_bpc", "2.5"}, {"note", "kept as text"}})
                  .ok());
  absl::StatusOr<LoadedCheckpoint> loaded = LoadCheckpoint(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->training.seq_len, 12);
  EXPECT_EQ(loaded->training.step, 40);
  EXPECT_EQ(loaded->training.valid_bpc, 2.5);
  EXPECT_EQ(loaded->training.epoch, 0);  // not recorded
  EXPECT_EQ(loaded->metadata.at("note"), "kept as text");
  EXPECT_EQ(loaded->spec.kind, "dense");
  EXPECT_EQ(loaded->spec.config, model->ConfigMetadata());
  absl::StatusOr<std::string> bytes = io::ReadFile(path);
  ASSERT_TRUE(bytes.ok());
  EXPECT_TRUE(CheckCheckpointImage(*bytes, "image").ok());
  EXPECT_TRUE(Contains(CheckCheckpointImage(bytes->substr(0, 30), "image").message(), "image: "));
  EXPECT_TRUE(Contains(CheckCheckpointImage("", "empty").message(), "empty: "));
}

TEST(CheckpointTest, KindMismatchIsAClearError) {
  absl::Status s = LoadEdited("kind.safetensors", [](io::Safetensors&) {}, "sparse");
  EXPECT_TRUE(Contains(s.message(), "kind.safetensors: this is a dense checkpoint, but a sparse model is needed"))
      << s;
}

TEST(CheckpointTest, TruncatedCorruptAndMissingFiles) {
  auto model = Dense();
  const std::string path = TempPath("whole.safetensors");
  ASSERT_TRUE(SaveCheckpoint(path, *model, {}).ok());
  absl::StatusOr<std::string> bytes = io::ReadFile(path);
  ASSERT_TRUE(bytes.ok());
  for (size_t keep : {size_t{0}, size_t{5}, size_t{100}, bytes->size() / 2, bytes->size() - 1}) {
    const std::string cut = TempPath("cut.safetensors");
    ASSERT_TRUE(io::WriteFileAtomically(cut, bytes->substr(0, keep)).ok());
    absl::Status s = LoadCheckpoint(cut).status();
    EXPECT_TRUE(Contains(s.message(), "cut.safetensors: not a valid safetensors file")) << keep << ": " << s;
  }
  std::string garbage = *bytes;
  garbage[10] = '#';  // inside the JSON header
  const std::string bad = TempPath("bad.safetensors");
  ASSERT_TRUE(io::WriteFileAtomically(bad, garbage).ok());
  EXPECT_TRUE(Contains(LoadCheckpoint(bad).status().message(), "bad.safetensors"));
  EXPECT_TRUE(Contains(LoadCheckpoint(TempPath("absent.safetensors")).status().message(), "absent.safetensors"));
}

TEST(CheckpointTest, LoadIntoAnExistingModel) {
  torch::manual_seed(4);
  auto saved = Dense();
  const std::string path = TempPath("into.safetensors");
  ASSERT_TRUE(SaveCheckpoint(path, *saved, {{"epoch", "3"}}).ok());
  auto other = Dense();
  absl::StatusOr<std::map<std::string, std::string>> meta = LoadCheckpointInto(path, *other);
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->at("epoch"), "3");
  for (const auto& p : saved->named_parameters()) {
    EXPECT_TRUE(torch::equal(p.value(), other->named_parameters()[p.key()])) << p.key();
  }
  DenseConfig wider = SmallDense();
  wider.ff = 8;
  auto mismatched = *MakeDenseModel(wider);
  EXPECT_TRUE(Contains(LoadCheckpointInto(path, *mismatched).status().message(),
                       "config ff is \"4\" in the checkpoint but \"8\" in the model"));
}

}  // namespace
}  // namespace attn::model
