#include "lib/eval/bits_per_byte.h"

#include <cmath>
#include <string>

#include "gtest/gtest.h"
#include "lib/eval/random_tokens_for_test.h"
#include "lib/model/dense_model.h"
#include "lib/model/sparse_model.h"

namespace attn::eval {
namespace {

std::shared_ptr<model::LanguageModel> SmallDense() {
  torch::manual_seed(3);
  model::DenseConfig c;
  c.d_model = 16;
  c.heads = 2;
  c.layers = 2;
  c.ff = 16;
  c.max_len = 32;
  return *model::MakeDenseModel(c);
}

std::shared_ptr<model::LanguageModel> SmallSparse() {
  torch::manual_seed(4);
  model::SparseConfig c;
  c.d_model = 16;
  c.heads = 4;
  c.layers = 2;
  c.ff = 16;
  c.max_len = 32;
  return *model::MakeSparseModel(c);
}

// The losses of positions [first, length) of one forward over tokens[begin, begin + length),
// which predict tokens[begin + first + 1, begin + length].
double ForwardNats(model::LanguageModel& m, const std::string& tokens, int64_t begin, int64_t length,
                   int64_t first) {
  m.eval();
  torch::NoGradGuard no_grad;
  torch::Tensor input = torch::empty({1, length}, torch::kLong);
  for (int64_t k = 0; k < length; ++k) input[0][k] = static_cast<uint8_t>(tokens[begin + k]);
  const torch::Tensor logp = torch::log_softmax(m.Forward(input)[0], -1);
  double nats = 0;
  for (int64_t k = first; k < length; ++k) nats -= logp[k][static_cast<uint8_t>(tokens[begin + k + 1])].item<double>();
  return nats;
}

// Byte p's loss from exactly the `context` bytes before it: its own forward pass.
double BruteForceNats(model::LanguageModel& m, const std::string& tokens, int64_t p, int64_t context) {
  return ForwardNats(m, tokens, p - context, context, context - 1);
}

BitsPerByte Measure(model::LanguageModel& m, const std::string& tokens, int64_t context, int64_t stride,
                    int64_t batch_size = 8, runtime::Precision precision = runtime::Precision::kFp32) {
  BitsPerByteOptions o;
  o.context = context;
  o.stride = stride;
  o.batch_size = batch_size;
  o.precision = precision;
  absl::StatusOr<BitsPerByte> r = MeasureBitsPerByte(m, tokens, o);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : BitsPerByte{};
}

std::string Tokens() { return RandomBytes(33, 9); }  // 32 predictions

// Stride 1 gives byte p min(p, context) bytes of context; stride = context, in whole
// windows, gives it (p - 1) % context + 1.
TEST(BitsPerByteTest, DenseMatchesOneForwardPerByte) {
  std::shared_ptr<model::LanguageModel> m = SmallDense();
  const std::string tokens = Tokens();
  const int64_t n = static_cast<int64_t>(tokens.size()), context = 8;
  double sliding = 0, blocks = 0;
  for (int64_t p = 1; p < n; ++p) {
    sliding += BruteForceNats(*m, tokens, p, std::min(p, context));
    blocks += BruteForceNats(*m, tokens, p, (p - 1) % context + 1);
  }
  for (int64_t batch_size : {1, 3, 8}) {
    SCOPED_TRACE(batch_size);
    const BitsPerByte one = Measure(*m, tokens, context, 1, batch_size);
    EXPECT_EQ(one.bytes_scored, n - 1);
    EXPECT_NEAR(one.nats_per_byte(), sliding / (n - 1), 1e-5);
    EXPECT_NEAR(one.bpc(), sliding / (n - 1) / std::log(2.0), 1e-5);
    const BitsPerByte whole = Measure(*m, tokens, context, context, batch_size);
    EXPECT_EQ(whole.bytes_scored, n - 1);
    EXPECT_NEAR(whole.nats_per_byte(), blocks / (n - 1), 1e-5);
  }
}

// The sparse model's strided and global patterns depend on the window's length (their
// anchors are fractions of it), so a byte's prediction depends on the window it is read
// in, not only on the bytes before it. Byte for byte, then, only the bytes each window
// predicts last: stride 1 against one forward per byte after the first window, plus that
// first window's own forward.
TEST(BitsPerByteTest, SparseMatchesOneForwardPerByte) {
  std::shared_ptr<model::LanguageModel> m = SmallSparse();
  const std::string tokens = Tokens();
  const int64_t n = static_cast<int64_t>(tokens.size()), context = 20;
  double nats = ForwardNats(*m, tokens, 0, context, 0);
  for (int64_t p = context + 1; p < n; ++p) nats += BruteForceNats(*m, tokens, p, context);
  for (int64_t batch_size : {1, 8}) {
    SCOPED_TRACE(batch_size);
    const BitsPerByte one = Measure(*m, tokens, context, 1, batch_size);
    EXPECT_EQ(one.bytes_scored, n - 1);
    EXPECT_NEAR(one.nats_per_byte(), nats / (n - 1), 1e-5);
  }
}

// Predicts byte t[i + 1] as t[i + 1 - period] (logit 30) once it has seen `period` bytes,
// uniformly before: the best model of a sequence of that period, if it has the context.
class CopyModel : public model::LanguageModel {
 public:
  explicit CopyModel(int64_t period) : period_(period) {}
  torch::Tensor ForwardWithAttention(const torch::Tensor& tokens, std::vector<torch::Tensor>*) override {
    torch::Tensor logits = torch::zeros({tokens.size(0), tokens.size(1), model::kVocabSize});
    for (int64_t b = 0; b < tokens.size(0); ++b) {
      for (int64_t i = period_ - 1; i < tokens.size(1); ++i) {
        logits[b][i][tokens[b][i + 1 - period_].item<int64_t>()] = kLogit;
      }
    }
    return logits;
  }
  std::string Kind() const override { return "copy"; }
  std::map<std::string, std::string> ConfigMetadata() const override { return {}; }
  int64_t MaxSeqLen() const override { return 1000; }
  int64_t NumLayers() const override { return 0; }
  int64_t NumHeads() const override { return 0; }

  static constexpr double kLogit = 30;

 private:
  int64_t period_;
};

// On "wxyz" repeated (25 bytes, 24 predictions), with context 8, a prediction is uniform
// (8 bits) when it has fewer than 4 bytes of context and near-perfect otherwise. Stride 8:
// three windows of contexts 1..8, each with 3 uniform predictions: 9 of 24, 3 bits a byte.
// Stride 1: only the first window's 3: 1 bit. Stride 6: 3, then windows of contexts 3..8,
// 3..8 and 5..8: 5 of 24. More context gives a provably better score.
TEST(BitsPerByteTest, MoreContextHelpsACopyTask) {
  std::string tokens;
  for (int i = 0; i < 25; ++i) tokens.push_back("wxyz"[i % 4]);
  CopyModel copy(4);
  const double perfect = std::log1p(255 * std::exp(-CopyModel::kLogit));  // nats of a near-certain byte
  auto expected_bpc = [&](int uniform) {
    return (uniform * std::log(256.0) + (24 - uniform) * perfect) / 24 / std::log(2.0);
  };
  // float32 log-probabilities: about 1e-7 nats a byte.
  EXPECT_NEAR(Measure(copy, tokens, 8, 8).bpc(), expected_bpc(9), 1e-6);
  EXPECT_NEAR(Measure(copy, tokens, 8, 8).bpc(), 3.0, 1e-6);
  EXPECT_NEAR(Measure(copy, tokens, 8, 1).bpc(), expected_bpc(3), 1e-6);
  EXPECT_NEAR(Measure(copy, tokens, 8, 6).bpc(), expected_bpc(5), 1e-6);
}

TEST(BitsPerByteTest, Bfloat16IsCloseToFloat32) {
  std::shared_ptr<model::LanguageModel> m = SmallDense();
  const std::string tokens = RandomBytes(200, 5);
  const double fp32 = Measure(*m, tokens, 32, 32).bpc();
  const double bf16 = Measure(*m, tokens, 32, 32, 8, runtime::Precision::kBf16).bpc();
  EXPECT_NE(bf16, fp32);  // the autocast did run
  EXPECT_NEAR(bf16, fp32, 0.01 * fp32);
}

TEST(BitsPerByteTest, RefusesAContextBeyondThePositionalTable) {
  std::shared_ptr<model::LanguageModel> m = SmallDense();
  BitsPerByteOptions o;
  o.context = 33;
  o.stride = 33;
  absl::StatusOr<BitsPerByte> r = MeasureBitsPerByte(*m, RandomBytes(100, 1), o);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("positional table (32 positions)"), std::string::npos) << r.status();
  o.context = 8;
  o.stride = 8;
  o.batch_size = 0;
  EXPECT_EQ(MeasureBitsPerByte(*m, RandomBytes(100, 1), o).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attn::eval
