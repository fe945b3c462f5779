// Head importance against independent expectations: a head made inert by its weights is
// worth exactly nothing; the ablation numbers equal a brute-force recomputation by the
// model's own forward with the mask set by hand; the gradient score equals central finite
// differences of each window's loss in the mask, absolute values taken per window.
#include "lib/eval/head_importance.h"

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/eval/random_tokens_for_test.h"
#include "lib/model/dense_model.h"
#include "lib/model/pattern_file.h"
#include "lib/model/pattern_support_for_test.h"
#include "lib/model/sparse_model.h"

namespace attn::eval {
namespace {

constexpr int64_t kLayers = 2, kHeads = 4, kDModel = 16, kHeadDim = kDModel / kHeads;

struct Case {
  std::string name;
  std::function<std::shared_ptr<model::LanguageModel>()> make;
  std::string prefix;       // the attention module of layer %d
  std::string value_weight;  // the parameter whose rows [value_row + h dh, ...) make head h's values
  std::string value_bias;
  int64_t value_row;
};

std::vector<Case> Models() {
  model::DenseConfig dense;
  dense.d_model = kDModel;
  dense.heads = kHeads;
  dense.layers = kLayers;
  dense.ff = 8;
  dense.max_len = 32;
  model::DenseConfig patterned = dense;
  patterned.patterns = *model::ParsePatternFile(model::kCustomPatternFile, "custom", kLayers, kHeads);
  model::SparseConfig sparse;
  sparse.d_model = kDModel;
  sparse.heads = kHeads;
  sparse.layers = kLayers;
  sparse.ff = 24;
  sparse.max_len = 32;
  const std::string d = "transformer_blocks.%d.self_attn.", s = "transformer_encoder.%d.self_attn.";
  return {{"dense", [=] { return *model::MakeDenseModel(dense); }, d, "in_proj_weight", "in_proj_bias", 2 * kDModel},
          {"dense with patterns", [=] { return *model::MakeDenseModel(patterned); }, d, "in_proj_weight",
           "in_proj_bias", 2 * kDModel},
          {"sparse", [=] { return *model::MakeSparseModel(sparse); }, s, "v_proj.weight", "v_proj.bias", 0}};
}

torch::Tensor Parameter(model::LanguageModel& m, const Case& c, int64_t layer, const std::string& name) {
  std::string prefix = c.prefix;
  prefix.replace(prefix.find("%d"), 2, std::to_string(layer));
  return m.named_parameters()[prefix + name];
}

ImportanceOptions Options(int64_t seq_len, int64_t batch_size = 2, int64_t batches = 0) {
  ImportanceOptions o;
  o.seq_len = seq_len;
  o.batch_size = batch_size;
  o.batches = batches;
  return o;
}

ImportanceResult Measure(model::LanguageModel& m, const std::string& tokens, const ImportanceOptions& o) {
  absl::StatusOr<ImportanceResult> r = MeasureHeadImportance(m, tokens, o);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : ImportanceResult{};
}

// Window w's input bytes tokens[w L, (w + 1) L] as [1, L + 1] int64.
torch::Tensor Window(const std::string& tokens, int64_t w, int64_t L) {
  torch::Tensor t = torch::empty({1, L + 1}, torch::kLong);
  for (int64_t k = 0; k <= L; ++k) t[0][k] = static_cast<uint8_t>(tokens[w * L + k]);
  return t;
}

// Window w's mean cross-entropy in nats, from one forward of the model as it is.
torch::Tensor WindowNats(model::LanguageModel& m, const std::string& tokens, int64_t w, int64_t L) {
  const torch::Tensor t = Window(tokens, w, L);
  using torch::indexing::Slice;
  return torch::nn::functional::cross_entropy(m.Forward(t.index({Slice(), Slice(0, L)}))[0], t[0].slice(0, 1));
}

// Bits per byte over the first `windows` windows, one forward per window.
double BruteForceBpc(model::LanguageModel& m, const std::string& tokens, int64_t windows, int64_t L) {
  torch::NoGradGuard no_grad;
  double nats = 0;
  for (int64_t w = 0; w < windows; ++w) nats += WindowNats(m, tokens, w, L).item<double>();
  return nats / static_cast<double>(windows) / std::log(2.0);
}

// A head whose values (weights and bias) are zero outputs exactly zero; so does one whose
// output-projection columns are zero, seen from the layer's output. Either way, ablating it
// changes nothing, bit for bit, and its gradient is exactly zero; every other head matters.
TEST(HeadImportanceTest, AnInertHeadIsWorthExactlyNothing) {
  for (const Case& c : Models()) {
    for (const bool by_values : {true, false}) {
      const int64_t inert_layer = by_values ? 1 : 0, inert_head = by_values ? 2 : 1;
      const std::string what = c.name + (by_values ? ", values zeroed" : ", output columns zeroed");
      torch::manual_seed(5);
      std::shared_ptr<model::LanguageModel> m = c.make();
      {
        torch::NoGradGuard no_grad;
        using torch::indexing::Slice;
        const Slice cols(inert_head * kHeadDim, (inert_head + 1) * kHeadDim);
        if (by_values) {
          const Slice rows(c.value_row + inert_head * kHeadDim, c.value_row + (inert_head + 1) * kHeadDim);
          Parameter(*m, c, inert_layer, c.value_weight).index_put_({rows, Slice()}, 0.0);
          Parameter(*m, c, inert_layer, c.value_bias).index_put_({rows}, 0.0);
        } else {
          Parameter(*m, c, inert_layer, "out_proj.weight").index_put_({Slice(), cols}, 0.0);
        }
      }
      const ImportanceResult r = Measure(*m, RandomBytes(3 * 12 + 1, 6), Options(12));
      ASSERT_EQ(r.heads.size(), static_cast<size_t>(kLayers * kHeads)) << what;
      for (const HeadImportance& h : r.heads) {
        const std::string head = what + ": layer " + std::to_string(h.layer) + " head " + std::to_string(h.head);
        if (h.layer == inert_layer && h.head == inert_head) {
          EXPECT_EQ(h.ablation_bpc, r.baseline_bpc) << head;
          EXPECT_EQ(h.ablation_delta_bpc, 0.0) << head;
          EXPECT_EQ(h.grad_importance, 0.0) << head;
        } else {
          EXPECT_GT(std::abs(h.ablation_delta_bpc), 1e-6) << head;
          EXPECT_GT(h.grad_importance, 1e-6) << head;
        }
      }
    }
  }
}

// Layer-major rows, and the ablation against the model's own forward, one window at a time,
// with the mask set by hand; windows beyond `batches` and bytes beyond the last whole window
// are not used, and batches end short where the windows do.
TEST(HeadImportanceTest, AblationMatchesBruteForce) {
  const int64_t L = 10;
  const std::string tokens = RandomBytes(5 * L + 7, 7);  // 5 whole windows and a rest
  for (const Case& c : Models()) {
    for (const auto& [batch_size, batches, windows] :
         {std::tuple<int64_t, int64_t, int64_t>{2, 0, 5}, {2, 2, 4}, {3, 1, 3}, {8, 4, 5}}) {
      const std::string what = c.name + ", batch_size " + std::to_string(batch_size) + ", batches " +
                               std::to_string(batches);
      torch::manual_seed(8);
      std::shared_ptr<model::LanguageModel> m = c.make();
      const ImportanceResult r = Measure(*m, tokens, Options(L, batch_size, batches));
      EXPECT_EQ(r.windows, windows) << what;
      EXPECT_EQ(r.bytes_scored, windows * L) << what;
      m->eval();
      // float32 sums in another order: agreement to about 1e-7 of the value (the sparse model's
      // untrained loss is near 90 bits).
      const double baseline = BruteForceBpc(*m, tokens, windows, L);
      EXPECT_NEAR(r.baseline_bpc, baseline, 1e-6 * baseline) << what;
      ASSERT_EQ(r.heads.size(), static_cast<size_t>(kLayers * kHeads)) << what;
      for (int64_t i = 0; i < kLayers * kHeads; ++i) {
        const HeadImportance& h = r.heads[i];
        EXPECT_EQ(h.layer, i / kHeads);
        EXPECT_EQ(h.head, i % kHeads);
        torch::Tensor mask = torch::ones({kLayers, kHeads});
        mask[h.layer][h.head] = 0;
        ASSERT_TRUE(m->SetHeadMask(mask).ok());
        const double ablated = BruteForceBpc(*m, tokens, windows, L);
        ASSERT_TRUE(m->SetHeadMask({}).ok());
        EXPECT_NEAR(h.ablation_bpc, ablated, 1e-6 * ablated) << what << ", head " << i;
        EXPECT_DOUBLE_EQ(h.ablation_delta_bpc, h.ablation_bpc - r.baseline_bpc) << what;
      }
    }
  }
}

// The gradient score against central differences of each window's bits per byte, in double
// precision: the mean over windows of |d bpc / d mask_h|. The case is one where the mean of
// the absolute values and the absolute value of the mean differ, so the test tells them apart.
TEST(HeadImportanceTest, GradientMatchesFiniteDifferencesPerWindow) {
  const int64_t L = 9, windows = 4;
  const std::string tokens = RandomBytes(windows * L + 1, 9);
  for (const Case& c : Models()) {
    torch::manual_seed(10);
    std::shared_ptr<model::LanguageModel> m = c.make();
    m->to(torch::kDouble);
    const ImportanceResult r = Measure(*m, tokens, Options(L));
    ASSERT_EQ(r.windows, windows);
    torch::NoGradGuard no_grad;
    const double eps = 1e-6;
    bool signs_differ = false;
    for (const HeadImportance& h : r.heads) {
      double mean_abs = 0, mean = 0;
      for (int64_t w = 0; w < windows; ++w) {
        torch::Tensor up = torch::ones({kLayers, kHeads}, torch::kDouble), down = up.clone();
        up[h.layer][h.head] += eps;
        down[h.layer][h.head] -= eps;
        ASSERT_TRUE(m->SetHeadMask(up).ok());
        const double plus = WindowNats(*m, tokens, w, L).item<double>();
        ASSERT_TRUE(m->SetHeadMask(down).ok());
        const double minus = WindowNats(*m, tokens, w, L).item<double>();
        const double slope = (plus - minus) / (2 * eps) / std::log(2.0);  // bits per byte per unit of mask
        mean_abs += std::abs(slope) / windows;
        mean += slope / windows;
      }
      ASSERT_TRUE(m->SetHeadMask({}).ok());
      EXPECT_NEAR(h.grad_importance, mean_abs, 1e-6 + 1e-5 * mean_abs)
          << c.name << " layer " << h.layer << " head " << h.head;
      if (mean_abs - std::abs(mean) > 1e-3 * mean_abs) signs_differ = true;
    }
    EXPECT_TRUE(signs_differ) << c.name << ": no head's gradient changes sign between windows";
  }
}

TEST(HeadImportanceTest, LeavesTheModelAsItWasAndReportsProgress) {
  torch::manual_seed(11);
  std::shared_ptr<model::LanguageModel> m = Models()[0].make();
  const std::string tokens = RandomBytes(3 * 8 + 1, 12);
  std::vector<ImportanceProgress> seen;
  absl::StatusOr<ImportanceResult> r =
      MeasureHeadImportance(*m, tokens, Options(8), [&](const ImportanceProgress& p) { seen.push_back(p); });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(m->head_mask().defined());
  EXPECT_FALSE(m->is_training());
  ASSERT_FALSE(seen.empty());
  // 3 windows: an unmasked pass, gradients at 3 passes a window, one pass per head.
  EXPECT_EQ(seen.back().total, 3 * (1 + 3 + kLayers * kHeads));
  EXPECT_EQ(seen.back().done, seen.back().total);
  EXPECT_EQ(seen.back().doing, "ablating layer 1 head 3");
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_LE(seen[i - 1].done, seen[i].done);

  const torch::Tensor mine = torch::full({kLayers, kHeads}, 0.5);
  ASSERT_TRUE(m->SetHeadMask(mine).ok());
  ASSERT_TRUE(MeasureHeadImportance(*m, tokens, Options(8)).ok());
  EXPECT_TRUE(m->head_mask().is_same(mine));
}

TEST(HeadImportanceTest, WindowsFollowTheOptions) {
  EXPECT_EQ(ImportanceWindows(33, Options(8)), 4);
  EXPECT_EQ(ImportanceWindows(32, Options(8)), 3);  // the last window needs its next byte
  EXPECT_EQ(ImportanceWindows(9, Options(8)), 1);
  EXPECT_EQ(ImportanceWindows(8, Options(8)), 0);
  EXPECT_EQ(ImportanceWindows(33, Options(8, 3, 1)), 3);
  EXPECT_EQ(ImportanceWindows(33, Options(8, 3, 2)), 4);
  EXPECT_EQ(ImportanceWindows(1 << 20, Options(1, int64_t{1} << 40, int64_t{1} << 40)), (1 << 20) - 1);
}

TEST(HeadImportanceTest, RefusesWhatItCannotMeasure) {
  std::shared_ptr<model::LanguageModel> m = Models()[2].make();  // a table of 32 positions
  const std::string tokens = RandomBytes(20, 13);
  struct Bad {
    ImportanceOptions options;
    absl::StatusCode code;
    std::string message;
  };
  for (const Bad& b : std::vector<Bad>{
           {Options(0), absl::StatusCode::kInvalidArgument, "`seq_len`=0 must be at least 1"},
           {Options(8, 0), absl::StatusCode::kInvalidArgument, "`batch_size`=0 must be at least 1"},
           {Options(8, 2, -1), absl::StatusCode::kInvalidArgument, "`batches`=-1 must not be negative"},
           {Options(33), absl::StatusCode::kOutOfRange, "positional table (32 positions)"},
           {Options(20), absl::StatusCode::kOutOfRange, "the tokens hold 20 bytes, but one window"}}) {
    absl::StatusOr<ImportanceResult> r = MeasureHeadImportance(*m, tokens, b.options);
    ASSERT_FALSE(r.ok()) << b.message;
    EXPECT_EQ(r.status().code(), b.code) << r.status();
    EXPECT_NE(std::string(r.status().message()).find(b.message), std::string::npos) << r.status();
  }
  EXPECT_FALSE(m->head_mask().defined());
}

}  // namespace
}  // namespace attn::eval
