#include "lib/model/attention_dump.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <string>

#include "gtest/gtest.h"
#include "lib/io/npy.h"
#include "lib/model/attention_patterns.h"
#include "lib/model/head_patterns.h"
#include "lib/model/checkpoint.h"
#include "lib/model/dense_model.h"
#include "lib/model/sparse_model.h"

namespace attn::model {
namespace {

namespace F = torch::nn::functional;

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

std::string Tokens(int64_t n) {
  std::string text;
  for (int64_t i = 0; i < n; ++i) text += static_cast<char>("the cat sat on a mat. "[i % 22]);
  return text;
}

std::shared_ptr<LanguageModel> SmallDense(int64_t layers) {
  DenseConfig c;
  c.d_model = 16;
  c.heads = 4;
  c.layers = layers;
  c.ff = 8;
  c.max_len = 64;
  torch::manual_seed(7);
  return *MakeDenseModel(c);
}

std::shared_ptr<LanguageModel> SmallSparse(int64_t layers) {
  SparseConfig c;
  c.d_model = 32;
  c.heads = 8;
  c.layers = layers;
  c.ff = 16;
  c.max_len = 64;
  torch::manual_seed(7);
  return *MakeSparseModel(c);
}

// Dumps to a file and reads the records back.
std::vector<io::NpyRecord> DumpAndRead(LanguageModel& model, const std::string& tokens,
                                       const AttentionDumpOptions& options) {
  const std::string path = TempPath("attn.npy");
  {
    absl::StatusOr<io::AtomicFile> out = io::AtomicFile::Open(path);
    EXPECT_TRUE(out.ok());
    const absl::Status s = DumpAttention(model, tokens, options, *out);
    EXPECT_TRUE(s.ok()) << s;
    EXPECT_TRUE(out->Commit().ok());
  }
  FILE* f = std::fopen(path.c_str(), "rb");
  io::NpyStreamReader reader(f, path);
  std::vector<io::NpyRecord> records;
  io::NpyRecord record;
  while (*reader.Next(&record)) records.push_back(record);
  std::fclose(f);
  return records;
}

torch::Tensor AsTensor(const io::NpyRecord& r) {
  return torch::from_blob(const_cast<float*>(r.data.data()), r.shape, torch::kFloat).clone();
}

// Every row sums to 1 over its allowed keys and is exactly 0 elsewhere.
void ExpectRowsNormalisedOver(const torch::Tensor& probs,  // [L, L]
                              const std::function<bool(int64_t, int64_t)>& allowed) {
  const int64_t L = probs.size(0);
  auto p = probs.accessor<float, 2>();
  for (int64_t i = 0; i < L; ++i) {
    double sum = 0;
    for (int64_t j = 0; j < L; ++j) {
      if (allowed(i, j)) {
        sum += p[i][j];
      } else {
        ASSERT_EQ(p[i][j], 0.0f) << "row " << i << " key " << j;
      }
    }
    ASSERT_NEAR(sum, 1.0, 1e-5) << "row " << i;
  }
}

TEST(DumpAttention, DenseRowsAreCausalDistributions) {
  auto model = SmallDense(2);
  const std::string tokens = Tokens(200);
  AttentionDumpOptions options{.num_seqs = 3, .seq_len = 20, .offset = 5};
  const auto records = DumpAndRead(*model, tokens, options);
  ASSERT_EQ(records.size(), 3u);
  for (const auto& r : records) {
    ASSERT_EQ(r.shape, (std::vector<int64_t>{2, 4, 20, 20}));
    const torch::Tensor a = AsTensor(r);
    for (int64_t l = 0; l < 2; ++l) {
      for (int64_t h = 0; h < 4; ++h) {
        ExpectRowsNormalisedOver(a[l][h], [](int64_t i, int64_t j) { return j <= i; });
      }
    }
  }
}

TEST(DumpAttention, SparseRowsFollowEachHeadsPattern) {
  auto model = SmallSparse(1);
  const std::vector<std::string> patterns = *DefaultHeadPatternNames(8, "");
  const std::string tokens = Tokens(100);
  for (int64_t L : {7, 40}) {
    const auto records = DumpAndRead(*model, tokens, {.num_seqs = 2, .seq_len = L});
    ASSERT_EQ(records.size(), 2u);
    const torch::Tensor a = AsTensor(records[1]);
    for (int64_t h = 0; h < 8; ++h) {
      ExpectRowsNormalisedOver(a[0][h], [&](int64_t i, int64_t j) {
        return PatternAtLength(*BuiltinPattern(patterns[h]), L).Allows(i, j);
      });
    }
  }
}

TEST(DumpAttention, SelectsLayersAndHeadsInTheGivenOrder) {
  auto model = SmallDense(3);
  const std::string tokens = Tokens(64);
  const auto all = DumpAndRead(*model, tokens, {.num_seqs = 1, .seq_len = 16});
  const auto some = DumpAndRead(
      *model, tokens, {.num_seqs = 1, .seq_len = 16, .layers = {2, 0}, .heads = {3, 1}});
  ASSERT_EQ(some[0].shape, (std::vector<int64_t>{2, 2, 16, 16}));
  const torch::Tensor a = AsTensor(all[0]), s = AsTensor(some[0]);
  EXPECT_TRUE(torch::equal(s[0][0], a[2][3]));
  EXPECT_TRUE(torch::equal(s[0][1], a[2][1]));
  EXPECT_TRUE(torch::equal(s[1][0], a[0][3]));
}

std::map<std::string, torch::Tensor> Weights(LanguageModel& model) {
  std::map<std::string, torch::Tensor> w;
  for (auto& [name, t] : StateDict(model)) w[name] = t.detach();
  return w;
}

torch::Tensor Linear(const std::map<std::string, torch::Tensor>& w, const std::string& name,
                     const torch::Tensor& x) {
  return F::linear(x, w.at(name + ".weight"), w.at(name + ".bias"));
}

torch::Tensor Norm(const std::map<std::string, torch::Tensor>& w, const std::string& name,
                   const torch::Tensor& x, double eps) {
  return F::layer_norm(x, F::LayerNormFuncOptions({x.size(-1)})
                              .weight(w.at(name + ".weight"))
                              .bias(w.at(name + ".bias"))
                              .eps(eps));
}

// probs [H, L, L] times the values of x [L, d]: the heads' outputs concatenated, [L, d].
torch::Tensor MixValues(const torch::Tensor& probs, const torch::Tensor& v) {
  const int64_t H = probs.size(0), L = v.size(0), dh = v.size(1) / H;
  return probs.matmul(v.view({L, H, dh}).transpose(0, 1)).transpose(0, 1).reshape({L, H * dh});
}

// What rebuilding a one-layer model's output needs: the dumped probabilities of its only
// layer [H, L, L], its weights, the input ids [1, L] and the model's own logits [L, 256].
struct OneLayerCase {
  torch::Tensor probs;
  std::map<std::string, torch::Tensor> weights;
  torch::Tensor ids;
  torch::Tensor logits;
};

OneLayerCase DumpOneLayer(LanguageModel& model, int64_t L) {
  const std::string tokens = Tokens(64);
  OneLayerCase c;
  c.probs = AsTensor(DumpAndRead(model, tokens, {.num_seqs = 1, .seq_len = L})[0])[0];
  c.weights = Weights(model);
  c.ids = torch::from_blob(const_cast<char*>(tokens.data()), {1, L}, torch::kUInt8).to(torch::kLong);
  torch::NoGradGuard no_grad;
  model.eval();
  c.logits = model.Forward(c.ids)[0];
  return c;
}

// A one-layer sparse model's logits, rebuilt from its weights and the dumped probabilities.
TEST(DumpAttention, SparseProbabilitiesTimesValuesReproduceTheModel) {
  auto model = SmallSparse(1);
  const int64_t L = 33, d = 32;
  const OneLayerCase c = DumpOneLayer(*model, L);
  const auto& [probs, w, ids, want] = c;
  torch::NoGradGuard no_grad;
  torch::Tensor x = F::embedding(ids[0], w.at("token_embedding.weight")) * std::sqrt(double(d)) +
                    w.at("pos_encoder.pe")[0].slice(0, 0, L);
  const std::string p = "transformer_encoder.0.";
  const torch::Tensor v = Linear(w, p + "self_attn.v_proj", Norm(w, p + "norm1", x, 1e-5));
  x = x + Linear(w, p + "self_attn.out_proj", MixValues(probs, v));
  x = x + Linear(w, p + "linear2", torch::relu(Linear(w, p + "linear1", Norm(w, p + "norm2", x, 1e-5))));
  const torch::Tensor got = Linear(w, "output_projection", x);
  EXPECT_TRUE(torch::allclose(got, want, 1e-4, 1e-4)) << (got - want).abs().max();
}

// The same for a one-layer dense model (positional feed-forward, gammas, final norm, tied output).
TEST(DumpAttention, DenseProbabilitiesTimesValuesReproduceTheModel) {
  auto model = SmallDense(1);
  const int64_t L = 24, d = 16;
  const OneLayerCase c = DumpOneLayer(*model, L);
  const auto& [probs, w, ids, want] = c;
  torch::NoGradGuard no_grad;
  torch::Tensor x = F::embedding(ids[0], w.at("embedding.weight")) * std::sqrt(double(d));
  x = x + w.at("pos_encoder.alpha") * w.at("pos_encoder.pe").slice(0, 0, L);
  x = x + Linear(w, "pos_encoder.position_ff.3",
                 torch::gelu(Linear(w, "pos_encoder.position_ff.0", Norm(w, "pos_encoder.norm", x, 1e-5))));
  const std::string p = "transformer_blocks.0.";
  const torch::Tensor v = F::linear(Norm(w, p + "norm1", x, 1e-6),
                                    w.at(p + "self_attn.in_proj_weight").slice(0, 2 * d, 3 * d),
                                    w.at(p + "self_attn.in_proj_bias").slice(0, 2 * d, 3 * d));
  x = x + w.at(p + "gamma1") * Linear(w, p + "self_attn.out_proj", MixValues(probs, v));
  x = x + w.at(p + "gamma2") *
              Linear(w, p + "feed_forward.3",
                     torch::silu(Linear(w, p + "feed_forward.0", Norm(w, p + "norm2", x, 1e-6))));
  const torch::Tensor got = F::linear(Norm(w, "norm", x, 1e-6), w.at("embedding.weight"), w.at("output.bias"));
  EXPECT_TRUE(torch::allclose(got, want, 1e-4, 1e-4)) << (got - want).abs().max();
}

TEST(DumpAttention, RefusesWhatCannotBeDumped) {
  auto model = SmallDense(1);
  EXPECT_TRUE(absl::IsOutOfRange(ValidateAttentionDump(*model, 100, {.num_seqs = 2, .seq_len = 60})));
  // Beyond the model's table: a runtime failure (the checkpoint cannot serve it), exit 1.
  EXPECT_TRUE(absl::IsOutOfRange(ValidateAttentionDump(*model, 1000, {.num_seqs = 1, .seq_len = 65})));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateAttentionDump(*model, 1000, {.num_seqs = 0, .seq_len = 8})));
  EXPECT_TRUE(ValidateAttentionDump(*model, 120, {.num_seqs = 2, .seq_len = 60}).ok());
  EXPECT_TRUE(absl::IsOutOfRange(ParseIndexList("0,4", 4, "heads").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseIndexList("x", 4, "heads").status()));
  EXPECT_EQ(*ParseIndexList("3,0", 4, "heads"), (std::vector<int64_t>{3, 0}));
  EXPECT_TRUE(ParseIndexList("", 4, "heads")->empty());
}

TEST(DumpAttention, HugeWindowsAreRefusedWithoutOverflow) {
  auto model = SmallDense(1);
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  for (const AttentionDumpOptions& o :
       {AttentionDumpOptions{.num_seqs = 1, .seq_len = 8, .offset = kMax - 7},
        AttentionDumpOptions{.num_seqs = 576460752303423489, .seq_len = 16},
        AttentionDumpOptions{.num_seqs = kMax, .seq_len = 64, .offset = kMax}}) {
    const absl::Status s = ValidateAttentionDump(*model, 1000, o);
    EXPECT_TRUE(absl::IsOutOfRange(s)) << s;
  }
  EXPECT_NE(ValidateAttentionDump(*model, 1000, {.num_seqs = kMax, .seq_len = 64}).message().find("more than 2^63"),
            std::string::npos);
}

}  // namespace
}  // namespace attn::model
