#include "lib/generate/sampler.h"

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/model/dense_model.h"
#include "lib/model/kv_cache.h"
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
    std::string window;
    for (int64_t i = 0; i < tokens.size(1); ++i) window.push_back(static_cast<char>(tokens[0][i].item<int64_t>()));
    seen.push_back(window);
    return logits;
  }
  std::string Kind() const override { return "counting"; }
  std::map<std::string, std::string> ConfigMetadata() const override { return {}; }
  int64_t MaxSeqLen() const override { return 8; }
  int64_t NumLayers() const override { return 0; }
  int64_t NumHeads() const override { return 0; }
  int64_t max_seen = 0;
  std::vector<std::string> seen;  // the bytes of each call, in order
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

TEST(SamplerTest, WindowStartHandComputed) {
  // context 8, slide 4: all bytes up to t = 8, then starts 4, 8, 12 from t = 9, 13, 17.
  for (const auto& [t, start] : std::vector<std::pair<int64_t, int64_t>>{
           {0, 0}, {1, 0}, {8, 0}, {9, 4}, {12, 4}, {13, 8}, {16, 8}, {17, 12}, {100, 92}}) {
    EXPECT_EQ(WindowStart(t, 8, 4), start) << "t " << t;
  }
  // slide 1: always the last 8 bytes.
  EXPECT_EQ(WindowStart(9, 8, 1), 1);
  EXPECT_EQ(WindowStart(30, 8, 1), 22);
  // A slide that does not divide the context: 3, 6, ...; between 6 and 8 bytes seen.
  EXPECT_EQ(WindowStart(9, 8, 3), 3);
  EXPECT_EQ(WindowStart(11, 8, 3), 3);
  EXPECT_EQ(WindowStart(12, 8, 3), 6);
  // context 1 with slide 1: the last byte only.
  EXPECT_EQ(WindowStart(5, 1, 1), 4);
}

// The bytes the model saw for each emitted byte, with and without the cache (the counting
// model has no cached path, so both reach its full forward): greedy output "bcdef..." after
// "a", context 8 (the model's window).
TEST(SamplerTest, TheContextSlidesByHalfAWindow) {
  for (const bool cached : {true, false}) {
    SCOPED_TRACE(cached);
    CountingModel model;
    SamplingOptions o;
    o.temperature = 0;
    o.max_bytes = 13;
    o.use_cache = cached;
    EXPECT_EQ(Sample(model, "a", o), "bcdefghijklmn");
    EXPECT_EQ(model.seen, (std::vector<std::string>{"a", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg",
                                                    "abcdefgh", "efghi", "efghij", "efghijk", "efghijkl",
                                                    "ijklm"}));
  }
}

TEST(SamplerTest, SlideOneKeepsTheLastWindow) {
  CountingModel model;
  SamplingOptions o;
  o.temperature = 0;
  o.max_bytes = 10;
  o.slide = 1;
  EXPECT_EQ(Sample(model, "a", o), "bcdefghijk");
  EXPECT_EQ(model.seen.back(), "cdefghij");
  EXPECT_EQ(model.seen[8], "bcdefghi");
  o.slide = 3;  // seen: 6 to 8 bytes past the window
  model.seen.clear();
  Sample(model, "a", o);
  EXPECT_EQ(model.seen[8], "defghi");
  EXPECT_EQ(model.seen[9], "defghij");
}

TEST(SamplerTest, ASlideBeyondTheContextIsAnError) {
  CountingModel model;
  SamplingOptions o;
  o.slide = 9;  // the model's window is 8
  const absl::Status s = Generate(model, "a", o, [](char) { return absl::OkStatus(); });
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_NE(s.message().find("`slide`=9"), std::string::npos) << s;
  o.slide = 8;
  EXPECT_TRUE(Generate(model, "a", o, [](char) { return absl::OkStatus(); }).ok());
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
           {[](SamplingOptions& o) { o.max_bytes = -1; }, "`max_bytes`=-1"},
           {[](SamplingOptions& o) { o.slide = -1; }, "`slide`=-1"}}) {
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

model::DenseConfig SmallDense() {
  model::DenseConfig dense;
  dense.d_model = 16;
  dense.heads = 4;
  dense.layers = 2;
  dense.ff = 8;
  dense.max_len = 64;
  return dense;
}

// The cache changes no byte: real models (random weights), windows that slide several
// times (by half the context, by one byte as the old rule, by 5 of 24), several seeds. At a
// low temperature the few likeliest bytes compete closely, so a cache whose logits were off
// by more than rounding would soon draw another byte.
TEST(SamplerTest, TheCacheChangesNoByte) {
  model::DenseConfig dense = SmallDense();
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
    // (context, slide): slides at t = 41, 61; at 25, 37, 49, 61; every byte past 24; at 29, 34, ...
    for (const auto& [context, slide] :
         std::vector<std::pair<int64_t, int64_t>>{{40, 0}, {24, 0}, {24, 1}, {24, 5}}) {
      SCOPED_TRACE(absl::StrCat("context ", context, " slide ", slide));
      for (const auto& [seed, temperature] :
           std::vector<std::pair<uint64_t, double>>{{1, 1.0}, {2, 0.02}, {3, 0.02}, {4, 0.05}, {5, 0.05}, {6, 0.1}}) {
        SamplingOptions o;
        o.seed = seed;
        o.temperature = temperature;
        o.max_bytes = 60;
        o.context = context;
        o.slide = slide;
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
}

// A model that records the rows each cached call computed in every layer.
class RowsRecorder : public model::LanguageModel {
 public:
  explicit RowsRecorder(std::shared_ptr<model::LanguageModel> inner) : inner_(register_module("inner", inner)) {}
  torch::Tensor ForwardWithAttention(const torch::Tensor& tokens, std::vector<torch::Tensor>* a) override {
    return inner_->ForwardWithAttention(tokens, a);
  }
  torch::Tensor ForwardLast(const torch::Tensor& tokens, model::KVCache& cache) override {
    torch::Tensor logits = inner_->ForwardLast(tokens, cache);
    rows.push_back(cache.rows_computed());
    return logits;
  }
  std::string Kind() const override { return inner_->Kind(); }
  std::map<std::string, std::string> ConfigMetadata() const override { return inner_->ConfigMetadata(); }
  int64_t MaxSeqLen() const override { return inner_->MaxSeqLen(); }
  int64_t NumLayers() const override { return inner_->NumLayers(); }
  int64_t NumHeads() const override { return inner_->NumHeads(); }
  std::vector<std::vector<int64_t>> rows;

 private:
  std::shared_ptr<model::LanguageModel> inner_;
};

// The cost is linear: one row per layer for each byte, and the kept bytes re-encoded once at
// each slide. "ab", context 8, slide 4: 2 rows at t = 2, then 1 per byte, 5 (4 kept + the
// new one) at t = 9, 13, 17, 21.
TEST(SamplerTest, TheCacheIsRebuiltOncePerSlide) {
  torch::manual_seed(3);
  RowsRecorder model(*model::MakeDenseModel(SmallDense()));
  SamplingOptions o;
  o.max_bytes = 20;
  o.context = 8;
  o.slide = 4;
  std::string out;
  ASSERT_TRUE(Generate(model, "ab", o, [&](char c) {
                out.push_back(c);
                return absl::OkStatus();
              }).ok());
  const std::vector<int64_t> want = {2, 1, 1, 1, 1, 1, 1, 5, 1, 1, 1, 5, 1, 1, 1, 5, 1, 1, 1, 5};
  ASSERT_EQ(model.rows.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(model.rows[i], std::vector<int64_t>(2, want[i])) << "call " << i;
  }
}

}  // namespace
}  // namespace attn::generate
