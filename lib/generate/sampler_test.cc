#include "lib/generate/sampler.h"

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "lib/model/dense_model.h"
#include "lib/model/pattern_file.h"
#include "lib/model/pattern_support_for_test.h"
#include "lib/model/sparse_model.h"

namespace attn::generate {
namespace {

// Probabilities 0.5, 0.3, 0.15, 0.05 on bytes 10..13, nothing elsewhere.
torch::Tensor Logits() {
  torch::Tensor logits = torch::full({256}, -std::numeric_limits<double>::infinity(), torch::kDouble);
  const double p[] = {0.5, 0.3, 0.15, 0.05};
  for (int i = 0; i < 4; ++i) logits[10 + i] = std::log(p[i]);
  return logits;
}

void ExpectProbs(const torch::Tensor& probs, std::vector<double> want) {
  ASSERT_EQ(probs.size(0), 256);
  for (int b = 0; b < 256; ++b) {
    const double expected = (b >= 10 && b < 10 + static_cast<int>(want.size())) ? want[b - 10] : 0.0;
    EXPECT_NEAR(probs[b].item<double>(), expected, 1e-12) << "byte " << b;
  }
}

TEST(SamplerTest, TemperatureOneKeepsTheDistribution) {
  ExpectProbs(NextByteProbabilities(Logits(), {}), {0.5, 0.3, 0.15, 0.05});
}

TEST(SamplerTest, TemperatureTwoTakesTheSquareRoot) {
  SamplingOptions o;
  o.temperature = 2;
  const double z = std::sqrt(0.5) + std::sqrt(0.3) + std::sqrt(0.15) + std::sqrt(0.05);
  ExpectProbs(NextByteProbabilities(Logits(), o),
              {std::sqrt(0.5) / z, std::sqrt(0.3) / z, std::sqrt(0.15) / z, std::sqrt(0.05) / z});
}

TEST(SamplerTest, TemperatureZeroIsGreedy) {
  SamplingOptions o;
  o.temperature = 0;
  ExpectProbs(NextByteProbabilities(Logits(), o), {1.0});
}

TEST(SamplerTest, TopK) {
  SamplingOptions o;
  o.top_k = 2;
  ExpectProbs(NextByteProbabilities(Logits(), o), {0.625, 0.375});
}

TEST(SamplerTest, TopPKeepsTheSmallestSetReachingP) {
  SamplingOptions o;
  o.top_p = 0.7;  // 0.5 < 0.7, 0.5 + 0.3 >= 0.7
  ExpectProbs(NextByteProbabilities(Logits(), o), {0.625, 0.375});
  o.top_p = 0.5;  // 0.5 alone reaches it
  ExpectProbs(NextByteProbabilities(Logits(), o), {1.0});
  o.top_p = 0.9;
  ExpectProbs(NextByteProbabilities(Logits(), o), {0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95});
}

// Predicts byte (b + 1) mod 256 after byte b, with a little mass on b + 2.
class CountingModel : public model::LanguageModel {
 public:
  torch::Tensor ForwardWithAttention(const torch::Tensor& tokens, std::vector<torch::Tensor>*) override {
    torch::Tensor logits = torch::zeros({tokens.size(0), tokens.size(1), 256});
    logits.scatter_(2, ((tokens + 1) % 256).unsqueeze(2), 5.0);
    logits.scatter_(2, ((tokens + 2) % 256).unsqueeze(2), 4.0);
    max_seen = std::max(max_seen, tokens.size(1));
    return logits;
  }
  std::string Kind() const override { return "counting"; }
  std::map<std::string, std::string> ConfigMetadata() const override { return {}; }
  int64_t MaxSeqLen() const override { return 8; }
  int64_t NumLayers() const override { return 0; }
  int64_t NumHeads() const override { return 0; }
  int64_t max_seen = 0;
};

std::string Sample(CountingModel& model, const std::string& prompt, const SamplingOptions& o) {
  std::string out;
  absl::Status s = Generate(model, prompt, o, [&](char c) {
    out.push_back(c);
    return absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

TEST(SamplerTest, GreedyGenerationFollowsTheModel) {
  CountingModel model;
  SamplingOptions o;
  o.temperature = 0;
  o.max_bytes = 12;
  EXPECT_EQ(Sample(model, "a", o), "bcdefghijklm");
  EXPECT_EQ(model.max_seen, 8);  // the context is cut to the model's window
}

TEST(SamplerTest, SamplingIsReproducibleForASeed) {
  CountingModel model;
  SamplingOptions o;
  o.max_bytes = 200;
  const std::string a = Sample(model, "a", o), b = Sample(model, "a", o);
  EXPECT_EQ(a, b);
  o.seed = 7;
  EXPECT_NE(Sample(model, "a", o), a);
  o.top_k = 1;  // top-k 1 is greedy whatever the seed
  EXPECT_EQ(Sample(model, "x", o).substr(0, 3), "yz{");
}

TEST(SamplerTest, OptionsMustBeFiniteAndInRange) {
  const double nan = std::nan("");
  for (const auto& [change, fragment] :
       std::vector<std::pair<std::function<void(SamplingOptions&)>, std::string>>{
           {[&](SamplingOptions& o) { o.temperature = nan; }, "`temperature`=nan"},
           {[](SamplingOptions& o) { o.temperature = -1; }, "`temperature`=-1"},
           {[&](SamplingOptions& o) { o.top_p = nan; }, "`top_p`=nan"},
           {[](SamplingOptions& o) { o.top_p = 0; }, "`top_p`=0"},
           {[](SamplingOptions& o) { o.top_p = 1.5; }, "`top_p`=1.5"},
           {[](SamplingOptions& o) { o.top_k = -1; }, "`top_k`=-1"},
           {[](SamplingOptions& o) { o.max_bytes = -1; }, "`max_bytes`=-1"}}) {
    SamplingOptions o;
    change(o);
    const absl::Status s = o.Validate();
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << fragment;
    EXPECT_NE(s.message().find(fragment), std::string::npos) << s;
  }
  EXPECT_TRUE(SamplingOptions{}.Validate().ok());
}

TEST(SamplerTest, EmptyPromptIsAnError) {
  CountingModel model;
  EXPECT_EQ(Generate(model, "", {}, [](char) { return absl::OkStatus(); }).code(),
            absl::StatusCode::kInvalidArgument);
}

// A model whose weights went NaN: generation stops with an error instead of sampling.
class NanModel : public CountingModel {
 public:
  torch::Tensor ForwardWithAttention(const torch::Tensor& tokens, std::vector<torch::Tensor>* a) override {
    return CountingModel::ForwardWithAttention(tokens, a) * std::nan("");
  }
};

TEST(SamplerTest, NonFiniteLogitsAreAnError) {
  NanModel model;
  int emitted = 0;
  const absl::Status s = Generate(model, "a", {}, [&](char) {
    ++emitted;
    return absl::OkStatus();
  });
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_NE(s.message().find("non-finite"), std::string::npos) << s;
  EXPECT_EQ(emitted, 0);
}

// The cache changes no byte: real models (random weights), a window that slides after 40
// bytes, several seeds. At a low temperature the few likeliest bytes compete closely, so a
// cache whose logits were off by more than rounding would soon draw another byte.
TEST(SamplerTest, TheCacheChangesNoByte) {
  model::DenseConfig dense;
  dense.d_model = 16;
  dense.heads = 4;
  dense.layers = 2;
  dense.ff = 8;
  dense.max_len = 64;
  model::DenseConfig patterned = dense;
  patterned.patterns = *model::ParsePatternFile(model::kCustomPatternFile, "custom", 2, 4);
  model::SparseConfig sparse;
  sparse.d_model = 16;
  sparse.heads = 4;
  sparse.layers = 2;
  sparse.ff = 24;
  sparse.max_len = 64;
  sparse.embedding_std = 0.1;
  torch::manual_seed(8);
  for (const std::shared_ptr<model::LanguageModel>& m :
       {*model::MakeDenseModel(dense), *model::MakeDenseModel(patterned), *model::MakeSparseModel(sparse)}) {
    SCOPED_TRACE(m->Kind());
    for (const auto& [seed, temperature] :
         std::vector<std::pair<uint64_t, double>>{{1, 1.0}, {2, 0.02}, {3, 0.02}, {4, 0.05}, {5, 0.05}, {6, 0.1}}) {
      SamplingOptions o;
      o.seed = seed;
      o.temperature = temperature;
      o.max_bytes = 60;
      o.context = 40;
      auto sample = [&](bool cached) {
        o.use_cache = cached;
        std::string out;
        EXPECT_TRUE(Generate(*m, "ab", o, [&](char c) {
                      out.push_back(c);
                      return absl::OkStatus();
                    }).ok());
        return out;
      };
      const std::string cached = sample(true);
      EXPECT_EQ(cached.size(), 60u);
      EXPECT_EQ(cached, sample(false)) << "seed " << seed;
    }
  }
}

}  // namespace
}  // namespace attn::generate
