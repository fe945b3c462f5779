#include "lib/train/trainer.h"

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/io/atomic_file.h"
#include "lib/model/dense_model.h"
#include "lib/train/tiny_model_for_test.h"
#include "lib/train/train_step.h"
#include "lib/train/weights.h"

namespace attn::train {
namespace {

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

// Words drawn from a small vocabulary by a fixed LCG: repetitive text whose next byte is
// mostly predictable from the one before.
std::string Corpus(int bytes, uint32_t seed) {
  static const char* kWords[] = {"the ", "cat ", "sat ", "on ", "mat ", "with ", "a ", "hat "};
  std::string text;
  uint32_t x = seed;
  while (static_cast<int>(text.size()) < bytes) {
    x = x * 1664525u + 1013904223u;
    text += kWords[(x >> 16) % 8];
  }
  text.resize(bytes);
  return text;
}

double UnigramEntropyBits(const std::string& text) {
  std::map<char, double> counts;
  for (char c : text) counts[c] += 1;
  double h = 0;
  for (const auto& [c, n] : counts) h -= n / text.size() * std::log2(n / text.size());
  return h;
}

struct Corpora {
  std::string train = TempPath("train.u8");
  std::string valid = TempPath("valid.u8");
  Corpora() {
    EXPECT_TRUE(io::WriteFileAtomically(train, Corpus(40000, 1)).ok());
    EXPECT_TRUE(io::WriteFileAtomically(valid, Corpus(4000, 2)).ok());
  }
};

using runtime::Precision;

TrainSpec SmallRun(const Corpora& c, const std::string& name) {
  TrainSpec o;
  o.train = c.train;
  o.valid = c.valid;
  o.output = TempPath(name + ".model");
  o.log = TempPath(name + ".tsv");
  o.seq_len = 32;
  o.batch_size = 8;
  o.grad_accum = 2;
  o.epochs = 2;
  o.max_steps = 60;
  o.lr = 1e-2;
  o.min_lr = 1e-7;
  o.warmup_steps = 10;
  o.eval_every = 20;
  o.eval_batches = 4;
  return o;
}

bool SameWeights(model::LanguageModel& a, model::LanguageModel& b, double tol) {
  auto wa = CopyWeights(a), wb = CopyWeights(b);
  if (wa.size() != wb.size()) return false;
  for (size_t i = 0; i < wa.size(); ++i) {
    if ((wa[i] - wb[i]).abs().max().item<double>() > tol) return false;
  }
  return true;
}

TEST(TrainerTest, AccumulatingTwoHalvesEqualsTheWholeBatch) {
  torch::manual_seed(3);
  TinyModel model(16, /*dropout=*/0.0);
  auto data = data::BatchStream::FromTokens(Corpus(2000, 5), 4, 16, "t");
  ASSERT_TRUE(data.ok());
  const data::Batch whole = data->Get(0);
  std::vector<data::Batch> halves = {{whole.inputs.narrow(0, 0, 2), whole.targets.narrow(0, 0, 2)},
                                     {whole.inputs.narrow(0, 2, 2), whole.targets.narrow(0, 2, 2)}};
  model.zero_grad();
  const double loss_whole = AccumulateGradients(model, {whole}, Precision::kFp32, torch::kCPU);
  std::vector<torch::Tensor> grads_whole;
  for (auto& p : model.parameters()) grads_whole.push_back(p.grad().clone());
  model.zero_grad();
  const double loss_halves = AccumulateGradients(model, halves, Precision::kFp32, torch::kCPU);
  EXPECT_NEAR(loss_whole, loss_halves, 1e-6);
  size_t i = 0;
  for (auto& p : model.parameters()) {
    EXPECT_TRUE(torch::allclose(p.grad(), grads_whole[i++], 1e-5, 1e-7));
  }
}

TEST(TrainerTest, LearnsWellBelowTheUnigramEntropyInFp32AndBf16) {
  Corpora c;
  const double unigram = UnigramEntropyBits(Corpus(40000, 1));
  double bpc[2];
  for (Precision precision : {Precision::kFp32, Precision::kBf16}) {
    torch::manual_seed(42);
    TinyModel model(32, 0.0);
    TrainSpec o = SmallRun(c, precision == Precision::kFp32 ? "fp32" : "bf16");
    o.epochs = 3;  // 78 steps each
    o.max_steps = 200;
    o.eval_every = 100;
    o.eval_batches = 0;
    o.precision = precision;
    auto summary = Train(model, o, {}, {});
    ASSERT_TRUE(summary.ok()) << summary.status();
    EXPECT_EQ(summary->steps, 200);
    bpc[precision == Precision::kBf16] = summary->best_valid_loss / std::log(2.0);
  }
  // The corpus: ~3 bits per word of ~3.5 bytes plus spelling; a model seeing two bytes
  // gets far below the ~3.3-bit unigram entropy.
  EXPECT_GT(unigram, 3.0);
  EXPECT_LT(bpc[0], 0.6 * unigram) << "unigram " << unigram;
  std::cerr << "unigram entropy " << unigram << " bits, valid bpc fp32 " << bpc[0] << ", bf16 "
            << bpc[1] << "\n";
  EXPECT_NEAR(bpc[1], bpc[0], 0.03 * bpc[0]) << "bf16 should track fp32";
}

// An order-1 Markov source of bytes with a known entropy rate, for the precision test: 16
// symbols 'a'..'p'; after symbol i the next is drawn from a geometric-like distribution over
// a per-symbol permutation of the 16, with ratio 0.35, 0.45 or 0.55 (i mod 3): about 1.8
// bits per byte, and every prediction needs only the byte before, which a small model
// learns smoothly in a few hundred steps.
class MarkovSource {
 public:
  static constexpr int kSymbols = 16;

  explicit MarkovSource(uint32_t seed) {
    std::mt19937 rng(seed);
    for (int i = 0; i < kSymbols; ++i) {
      std::vector<int> order(kSymbols);
      std::iota(order.begin(), order.end(), 0);
      for (int k = kSymbols - 1; k > 0; --k) std::swap(order[k], order[rng() % (k + 1)]);
      const double ratio = 0.35 + 0.1 * (i % 3);
      double weight = 1, total = 0;
      for (int k = 0; k < kSymbols; ++k, weight *= ratio) {
        next_[i][order[k]] = weight;
        total += weight;
      }
      for (double& p : next_[i]) p /= total;
    }
  }

  std::string Sample(int bytes, uint32_t seed) const {
    std::mt19937 rng(seed);
    std::string text;
    int state = 0;
    while (static_cast<int>(text.size()) < bytes) {
      double u = (rng() >> 8) * 0x1p-24, cumulative = 0;
      int j = 0;
      while (j < kSymbols - 1 && u >= (cumulative += next_[state][j])) ++j;
      text.push_back(static_cast<char>('a' + j));
      state = j;
    }
    return text;
  }

  // sum_i pi_i H(next after i), pi the stationary distribution (by power iteration).
  double EntropyRateBits() const {
    std::vector<double> pi(kSymbols, 1.0 / kSymbols);
    for (int iteration = 0; iteration < 1000; ++iteration) {
      std::vector<double> step(kSymbols, 0.0);
      for (int i = 0; i < kSymbols; ++i) {
        for (int j = 0; j < kSymbols; ++j) step[j] += pi[i] * next_[i][j];
      }
      pi = step;
    }
    double h = 0;
    for (int i = 0; i < kSymbols; ++i) {
      for (double p : next_[i]) h -= pi[i] * p * std::log2(p);
    }
    return h;
  }

  // The source's own loss on `text`: -mean log2 P(byte | the byte before), over every byte
  // after the first. No model of the text can expect to do better.
  double BitsPerByte(const std::string& text) const {
    double bits = 0;
    for (size_t t = 1; t < text.size(); ++t) bits -= std::log2(next_[text[t - 1] - 'a'][text[t] - 'a']);
    return bits / (text.size() - 1);
  }

 private:
  double next_[kSymbols][kSymbols];
};

// --precision=auto trains in bf16 on CPUs with native bf16: a bf16 run of the dense model
// ends within 1% of the fp32 run's validation bits per byte from the same seed, and both end
// near the source's entropy. On text, two runs of a model this small whose rounding differs
// diverge chaotically, by several percent either way; on this source (no dropout, a cosine
// decay to a small lr) both converge to just above its floor, so the comparison measures the
// precision: within 0.1% for five seeds of source and model, 2-3% above the floor
// (docs/performance.md). bf16 is emulated (slow) on CPUs without it, so the model is small.
TEST(TrainerTest, DenseModelInBf16EndsWithinOnePercentOfFp32NearTheEntropyFloor) {
  const MarkovSource source(/*seed=*/3);
  const std::string valid_text = source.Sample(8000, 2);
  const double floor = source.BitsPerByte(valid_text), entropy = source.EntropyRateBits();
  EXPECT_GT(entropy, 1.5);
  EXPECT_LT(entropy, 2.0);
  EXPECT_NEAR(floor, entropy, 0.03 * entropy) << "the sample should show the source's entropy";
  TrainSpec o;
  o.train = TempPath("markov_train.u8");
  o.valid = TempPath("markov_valid.u8");
  ASSERT_TRUE(io::WriteFileAtomically(o.train, source.Sample(40000, 1)).ok());
  ASSERT_TRUE(io::WriteFileAtomically(o.valid, valid_text).ok());
  o.seq_len = 32;
  o.batch_size = 8;
  o.epochs = 100;
  o.max_steps = 400;
  o.lr = 1e-2;
  o.min_lr = 1e-5;
  o.warmup_steps = 20;
  o.eval_every = 100;
  o.eval_batches = 0;
  double bpc[2];
  for (Precision precision : {Precision::kFp32, Precision::kBf16}) {
    torch::manual_seed(7);
    model::DenseConfig config;
    config.d_model = 64;
    config.heads = 2;
    config.layers = 1;
    config.ff = 32;
    config.max_len = 32;
    config.dropout = config.attention_dropout = config.activation_dropout = 0;
    config.token_dropout = config.stochastic_depth = 0;
    auto model = model::MakeDenseModel(config);
    ASSERT_TRUE(model.ok()) << model.status();
    o.output = TempPath(std::string("markov_") + runtime::PrecisionName(precision) + ".model");
    o.log = o.output + ".tsv";
    o.precision = precision;
    auto summary = Train(**model, o, {}, {});
    ASSERT_TRUE(summary.ok()) << summary.status();
    EXPECT_EQ(summary->steps, o.max_steps);
    bpc[precision == Precision::kBf16] = summary->best_valid_loss / std::log(2.0);
  }
  std::cerr << "Markov source: entropy " << entropy << " bits, its own bpc on the validation text " << floor
            << "; dense model valid bpc fp32 " << bpc[0] << ", bf16 " << bpc[1] << " ("
            << 100 * (bpc[1] / bpc[0] - 1) << "%)\n";
  for (double b : bpc) {
    EXPECT_GT(b, 0.98 * floor) << "better than the source itself: the model sees the future";
    EXPECT_LT(b, 1.05 * floor) << "too far from the entropy floor to compare precisions";
  }
  EXPECT_NEAR(bpc[1], bpc[0], 0.01 * bpc[0]);
}

TEST(TrainerTest, LogHasTrainAndValidRows) {
  Corpora c;
  torch::manual_seed(1);
  TinyModel model;
  TrainSpec o = SmallRun(c, "log");
  o.max_steps = 40;
  ASSERT_TRUE(Train(model, o, {}, {}).ok());
  auto text = io::ReadFile(o.log);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->rfind("step\tepoch\tsplit\tloss\tbpc\tlr\ttokens_per_s\telapsed_s\n", 0), 0u);
  EXPECT_NE(text->find("\n10\t"), std::string::npos);
  EXPECT_NE(text->find("\n20\t"), std::string::npos);
  EXPECT_NE(text->find("\tvalid\t"), std::string::npos);
  EXPECT_NE(text->find("\n40\t"), std::string::npos);
}

TEST(TrainerTest, SameSeedSameWeights) {
  Corpora c;
  torch::manual_seed(7);
  TinyModel a(32, 0.2);
  torch::manual_seed(7);
  TinyModel b(32, 0.2);
  ASSERT_TRUE(Train(a, SmallRun(c, "det_a"), {}, {}).ok());
  ASSERT_TRUE(Train(b, SmallRun(c, "det_b"), {}, {}).ok());
  EXPECT_TRUE(SameWeights(a, b, 0.0));
}

TEST(TrainerTest, ResumedRunEqualsUninterruptedRun) {
  Corpora c;
  // Dropout on, so the RNG state must carry over too; accumulation over an epoch end.
  torch::manual_seed(11);
  TinyModel whole(32, 0.2);
  TrainSpec o = SmallRun(c, "whole");
  o.max_steps = 0;  // two epochs of 156 batches = 32 steps of 5, the last one of 1
  o.grad_accum = 5;
  o.patience = 0;
  auto full = Train(whole, o, {}, {});
  ASSERT_TRUE(full.ok()) << full.status();
  ASSERT_EQ(full->steps, 64);

  TrainSpec p = o;
  p.output = TempPath("paused.model");
  p.log = TempPath("paused.tsv");
  p.stop_after = 30;
  torch::manual_seed(11);
  TinyModel first(32, 0.2);
  auto half = Train(first, p, {}, {});
  ASSERT_TRUE(half.ok()) << half.status();
  EXPECT_EQ(half->steps, 30);
  EXPECT_FALSE(half->finished);

  torch::manual_seed(999);  // the resumed process starts from another RNG state
  TinyModel second(32, 0.2);
  p.stop_after = 0;
  p.resume = true;
  auto rest = Train(second, p, {}, {});
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->steps, 64);
  EXPECT_TRUE(rest->finished);
  EXPECT_DOUBLE_EQ(rest->best_valid_loss, full->best_valid_loss);
  EXPECT_TRUE(SameWeights(whole, second, 1e-6));
  // The resumed log equals the uninterrupted one except for timings.
  auto a = io::ReadFile(o.log), b = io::ReadFile(p.log);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(std::count(a->begin(), a->end(), '\n'), std::count(b->begin(), b->end(), '\n'));
}

TEST(TrainerTest, ResumeWithOtherSettingsIsRefused) {
  Corpora c;
  TinyModel model;
  TrainSpec o = SmallRun(c, "other");
  o.stop_after = 5;
  ASSERT_TRUE(Train(model, o, {}, {}).ok());
  o.resume = true;
  o.lr = 2e-2;
  auto again = Train(model, o, {}, {});
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("other settings"), std::string::npos) << again.status();
  EXPECT_NE(again.status().message().find("`lr` is 0.01 in the saved run, 0.02 now"), std::string::npos)
      << again.status();
  EXPECT_EQ(again.status().message().find('\n'), std::string::npos) << "one line";
}

TEST(TrainerTest, CorruptResumeStateIsAClearError) {
  Corpora c;
  TinyModel model;
  TrainSpec o = SmallRun(c, "corrupt");
  o.resume = true;
  ASSERT_TRUE(io::WriteFileAtomically(o.output + ".state", "not a state file").ok());
  auto run = Train(model, o, {}, {});
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().code(), absl::StatusCode::kDataLoss) << run.status();
}

TEST(TrainerTest, EarlyStoppingKeepsTheBestWeights) {
  // Validation on uniformly random bytes: the more the model learns the training text,
  // the worse it does there, so the first validation is the best and patience runs out.
  Corpora c;
  std::string noise;
  uint32_t x = 5;
  for (int i = 0; i < 4000; ++i) {
    x = x * 1664525u + 1013904223u;
    noise.push_back(static_cast<char>(x >> 24));
  }
  TrainSpec o = SmallRun(c, "early");
  o.valid = TempPath("noise.u8");
  ASSERT_TRUE(io::WriteFileAtomically(o.valid, noise).ok());
  o.max_steps = 200;
  o.eval_every = 5;
  o.patience = 3;
  o.eval_batches = 0;
  torch::manual_seed(5);
  TinyModel model;
  std::vector<torch::Tensor> saved;
  int64_t saves = 0;
  TrainHooks hooks;
  hooks.save_checkpoint = [&](const std::string& path, model::LanguageModel& m,
                              const std::map<std::string, std::string>& metadata) {
    EXPECT_EQ(path, o.output);
    EXPECT_EQ(metadata.at("step"), "5");
    saved = CopyWeights(m);
    ++saves;
    return absl::OkStatus();
  };
  auto summary = Train(model, o, {}, hooks);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_TRUE(summary->early_stopped);
  EXPECT_EQ(summary->best_step, 5);
  EXPECT_EQ(summary->steps, 20);  // validations at 5 (best), 10, 15, 20
  EXPECT_EQ(saves, 1);
  // The model holds the weights of step 5, not those of the last step.
  auto data = data::BatchStream::FromFile(o.valid, o.batch_size, o.seq_len);
  ASSERT_TRUE(data.ok());
  EXPECT_DOUBLE_EQ(EvaluateLoss(model, *data, 0, Precision::kFp32, torch::kCPU),
                   summary->best_valid_loss);
  auto now = CopyWeights(model);
  for (size_t i = 0; i < now.size(); ++i) EXPECT_TRUE(torch::equal(now[i], saved[i]));
}

TEST(TrainerTest, AfterGradientsHookRunsOncePerStepBeforeClipping) {
  Corpora c;
  TinyModel model;
  TrainSpec o = SmallRun(c, "hook");
  o.max_steps = 3;
  o.clip_norm = 1e-3;
  int calls = 0;
  double largest = 0;
  TrainHooks hooks;
  hooks.after_gradients = [&]() {
    ++calls;
    double sq = 0;
    for (auto& p : model.parameters()) sq += p.grad().pow(2).sum().item<double>();
    largest = std::max(largest, std::sqrt(sq));
    return absl::OkStatus();
  };
  ASSERT_TRUE(Train(model, o, {}, hooks).ok());
  EXPECT_EQ(calls, 3);
  EXPECT_GT(largest, 1e-2);  // unclipped gradients
}

TEST(TrainerTest, BadInputsAreClearErrors) {
  Corpora c;
  TinyModel model(16, 0.0, /*max_len=*/32);
  TrainSpec o = SmallRun(c, "bad");
  o.seq_len = 33;
  auto run = Train(model, o, {}, {});
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.status().message().find("positional table"), std::string::npos) << run.status();

  o = SmallRun(c, "bad");
  o.train = TempPath("short.u8");
  ASSERT_TRUE(io::WriteFileAtomically(o.train, std::string(100, 'a')).ok());
  run = Train(model, o, {}, {});
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.status().message().find("shorter than one batch"), std::string::npos);

  o = SmallRun(c, "bad");
  o.valid = TempPath("missing.u8");
  run = Train(model, o, {}, {});
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.status().message().find("missing.u8"), std::string::npos);

  // (The precision and device names are tested in lib/runtime:precision_device_test.)
}

}  // namespace
}  // namespace attn::train
