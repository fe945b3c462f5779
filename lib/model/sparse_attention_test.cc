#include "lib/model/sparse_attention.h"

#include <cmath>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ATen/Parallel.h"
#include "gtest/gtest.h"
#include "lib/model/attention_patterns.h"
#include "lib/model/head_patterns.h"
#include "torch/torch.h"

namespace attn::model {
namespace {

using P = AttentionPattern;
const std::vector<P> kFourHeads = {*BuiltinPattern("local8"), *BuiltinPattern("strided"), *BuiltinPattern("global"),
                                   *BuiltinPattern("local16")};

// The original's default 8-head layout.
std::vector<P> DefaultEight() {
  std::vector<P> patterns;
  const std::vector<std::string> names = *DefaultHeadPatternNames(8, "");
  for (const std::string& name : names) patterns.push_back(*BuiltinPattern(name));
  return patterns;
}

// Row by row in double over AllowedKeys: an independent reference for both implementations.
torch::Tensor NaiveAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const std::vector<P>& patterns, torch::Tensor* probs) {
  const auto qd = q.to(torch::kDouble), kd = k.to(torch::kDouble), vd = v.to(torch::kDouble);
  const int64_t B = q.size(0), H = q.size(1), L = q.size(2), D = q.size(3);
  auto out = torch::zeros({B, H, L, D}, torch::kDouble);
  *probs = torch::zeros({B, H, L, L}, torch::kDouble);
  auto qa = qd.accessor<double, 4>(), ka = kd.accessor<double, 4>(), va = vd.accessor<double, 4>();
  auto oa = out.accessor<double, 4>();
  auto pa = probs->accessor<double, 4>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < L; ++i) {
        const std::vector<int64_t> keys = PatternAtLength(patterns[h], L).Keys(i);
        std::vector<double> s;
        double mx = -1e300;
        for (int64_t j : keys) {
          double dot = 0;
          for (int64_t d = 0; d < D; ++d) dot += qa[b][h][i][d] * ka[b][h][j][d];
          s.push_back(dot / std::sqrt(static_cast<double>(D)));
          mx = std::max(mx, s.back());
        }
        double sum = 0;
        for (double& x : s) sum += (x = std::exp(x - mx));
        for (size_t c = 0; c < keys.size(); ++c) {
          pa[b][h][i][keys[c]] = s[c] / sum;
          for (int64_t d = 0; d < D; ++d) oa[b][h][i][d] += s[c] / sum * va[b][h][keys[c]][d];
        }
      }
  return out;
}

TEST(PatternMask, MatchesPatternAllows) {
  for (int64_t L : {1, 7, 16, 50}) {
    const torch::Tensor m = PatternMask(kFourHeads, L);
    ASSERT_EQ(m.sizes(), (std::vector<int64_t>{4, L, L}));
    auto a = m.accessor<bool, 3>();
    for (int64_t h = 0; h < 4; ++h)
      for (int64_t i = 0; i < L; ++i)
        for (int64_t j = 0; j < L; ++j) ASSERT_EQ(a[h][i][j], PatternAtLength(kFourHeads[h], L).Allows(i, j));
  }
}

TEST(MaskedAttention, MatchesNaiveReference) {
  torch::manual_seed(1);
  for (int64_t L : {1, 9, 40}) {
    const auto q = torch::randn({2, 4, L, 8}), k = torch::randn({2, 4, L, 8}), v = torch::randn({2, 4, L, 8});
    torch::Tensor probs, expected_probs;
    SparseAttentionOptions options;
    options.impl = SparseAttentionImpl::kMasked;
    const auto out = SparseAttention(q, k, v, kFourHeads, options, &probs);
    const auto expected = NaiveAttention(q, k, v, kFourHeads, &expected_probs);
    EXPECT_TRUE(torch::allclose(out.to(torch::kDouble), expected, 1e-5, 1e-5)) << "L " << L;
    EXPECT_TRUE(torch::allclose(probs.to(torch::kDouble), expected_probs, 1e-5, 1e-6)) << "L " << L;
    // Exactly zero where not allowed.
    EXPECT_EQ(probs.masked_select(PatternMask(kFourHeads, L).logical_not().unsqueeze(0)).abs().sum().item<float>(), 0.f);
  }
}

struct Result {
  torch::Tensor out, dq, dk, dv, probs;
};

// Output, probabilities and the gradients of sum(out * weight).
Result RunAttention(SparseAttentionImpl impl, const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
           const torch::Tensor& weight, const std::vector<P>& patterns, double dropout = 0.0) {
  const auto qg = q.detach().requires_grad_(), kg = k.detach().requires_grad_(), vg = v.detach().requires_grad_();
  SparseAttentionOptions options;
  options.impl = impl;
  options.dropout = dropout;
  options.training = dropout > 0.0;
  Result r;
  r.out = SparseAttention(qg, kg, vg, patterns, options, &r.probs);
  (r.out * weight).sum().backward();
  r.dq = qg.grad();
  r.dk = kg.grad();
  r.dv = vg.grad();
  return r;
}

void ExpectClose(const torch::Tensor& a, const torch::Tensor& b, const std::string& what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  const double diff = (a - b).abs().max().item<double>();
  EXPECT_LE(diff, 1e-5) << what;
}

class KernelVsMasked : public ::testing::TestWithParam<int64_t> {};

// Every pattern (one head each, plus the default 8-head layout), batch 2, dropout off.
// Batch 2, heads of 16, dropout off: the kernel's output, probabilities and q, k, v
// gradients within 1e-5 of the masked computation's, and probabilities exactly zero outside
// the pattern.
void ExpectKernelMatchesMasked(int64_t L, const std::vector<P>& patterns, const std::string& at) {
  const int64_t H = patterns.size();
  const auto q = torch::randn({2, H, L, 16}), k = torch::randn({2, H, L, 16}), v = torch::randn({2, H, L, 16});
  const auto w = torch::randn({2, H, L, 16});
  const Result masked = RunAttention(SparseAttentionImpl::kMasked, q, k, v, w, patterns);
  const Result kernel = RunAttention(SparseAttentionImpl::kKernel, q, k, v, w, patterns);
  ExpectClose(kernel.out, masked.out, "out " + at);
  ExpectClose(kernel.dq, masked.dq, "dq " + at);
  ExpectClose(kernel.dk, masked.dk, "dk " + at);
  ExpectClose(kernel.dv, masked.dv, "dv " + at);
  ExpectClose(kernel.probs, masked.probs, "probs " + at);
  EXPECT_EQ(kernel.probs.masked_select(PatternMask(patterns, L).logical_not().unsqueeze(0)).abs().sum().item<float>(), 0.f) << at;
}

TEST_P(KernelVsMasked, OutputsProbabilitiesAndGradientsMatch) {
  const int64_t L = GetParam();
  torch::manual_seed(L);
  for (const auto& patterns : {kFourHeads, DefaultEight()}) {
    ExpectKernelMatchesMasked(L, patterns, "L " + std::to_string(L) + " heads " + std::to_string(patterns.size()));
  }
}

// Around the block sizes (16, 32, 64 rows) and lengths that are multiples of none.
INSTANTIATE_TEST_SUITE_P(Lengths, KernelVsMasked,
                         ::testing::Values(1, 7, 15, 16, 17, 31, 33, 63, 64, 65, 100, 129, 257));

// Random patterns of every shape the data can take (band or none, unbounded band, strides,
// anchors), each with at least one allowed key per row (column 0 or the diagonal), so that
// the masked softmax is defined everywhere.
std::vector<P> RandomPatterns(uint64_t seed, int64_t count) {
  std::mt19937_64 rng(seed);
  const std::vector<std::optional<int64_t>> windows = {std::nullopt, 0, 1, 3, 20, 70, kUnboundedWindow};
  const std::vector<int64_t> strides = {0, 1, 3, 10, 64};
  std::vector<P> patterns;
  for (int64_t h = 0; h < count; ++h) {
    P p;
    p.window = windows[rng() % windows.size()];
    p.stride = strides[rng() % strides.size()];
    for (uint64_t a = rng() % 4; a > 0; --a) p.anchors.push_back(std::uniform_real_distribution<double>(0, 1)(rng));
    if (!p.window.has_value() && p.stride == 0) p.anchors.push_back(0.0);
    patterns.push_back(p);
  }
  return patterns;
}

// Full causal attention (the dense model's) and random custom patterns, at lengths around
// the 64-row blocks and 64-key tiles.
class KernelVsMaskedAnyPattern : public ::testing::TestWithParam<int64_t> {};

TEST_P(KernelVsMaskedAnyPattern, OutputsProbabilitiesAndGradientsMatch) {
  const int64_t L = GetParam();
  torch::manual_seed(100 + L);
  const P dense = *BuiltinPattern("dense");
  std::vector<P> mixed = {dense, kFourHeads[0], kFourHeads[2]};
  for (const P& p : RandomPatterns(L, 5)) mixed.push_back(p);
  for (const auto& patterns : {std::vector<P>(4, dense), mixed, RandomPatterns(7 * L, 8)}) {
    std::string at = "L " + std::to_string(L) + " patterns";
    for (const P& p : patterns) at += " [" + DescribePattern(p) + "]";
    ExpectKernelMatchesMasked(L, patterns, at);
  }
}

INSTANTIATE_TEST_SUITE_P(Lengths, KernelVsMaskedAnyPattern,
                         ::testing::Values(1, 2, 7, 63, 64, 65, 127, 129, 200, 333));

// Rows a pattern gives no key (before its only anchor) attend nowhere: output, probabilities
// and gradients 0, not NaN; the rows that have keys match the naive reference.
TEST(KernelAttention, RowsWithoutKeysAttendNowhere) {
  torch::manual_seed(17);
  P last_only;
  last_only.anchors = {0.5};
  const int64_t L = 30, anchor = 14;  // floor(0.5 * 29)
  const auto q = torch::randn({1, 1, L, 8}, torch::kDouble), k = torch::randn({1, 1, L, 8}, torch::kDouble);
  const auto v = torch::randn({1, 1, L, 8}, torch::kDouble);
  const auto qg = q.clone().requires_grad_(), kg = k.clone().requires_grad_(), vg = v.clone().requires_grad_();
  torch::Tensor probs, expected_probs;
  const auto out = SparseAttention(qg, kg, vg, {last_only}, {}, &probs);
  out.sum().backward();
  const auto expected = NaiveAttention(q, k, v, {last_only}, &expected_probs);
  using torch::indexing::Slice;
  EXPECT_EQ(out.index({0, 0, Slice(0, anchor)}).abs().sum().item<double>(), 0.0);
  EXPECT_LT((out.index({0, 0, Slice(anchor)}) - expected.index({0, 0, Slice(anchor)})).abs().max().item<double>(), 1e-12);
  EXPECT_LT((probs - expected_probs).abs().max().item<double>(), 1e-12);
  for (const auto& grad : {qg.grad(), kg.grad(), vg.grad()}) EXPECT_TRUE(torch::isfinite(grad).all().item<bool>());
  EXPECT_EQ(qg.grad().index({0, 0, Slice(0, anchor)}).abs().sum().item<double>(), 0.0);
}

// The kernel reads host memory: a tensor elsewhere (here on the meta device, which holds no
// data and needs no GPU) is refused before any pointer is read, with the way out.
TEST(KernelAttention, RefusesTensorsThatAreNotOnTheCpu) {
  const auto x = torch::empty({1, 2, 5, 4}, torch::Device(torch::kMeta));
  try {
    SparseAttention(x, x, x, {kFourHeads[0], kFourHeads[1]}, {});
    ADD_FAILURE() << "a meta tensor went into the CPU kernel";
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    EXPECT_NE(what.find("the kernel computes on the CPU only, and q, k, v are on meta; use `attention`=masked"),
              std::string::npos) << what;
  }
}

TEST(KernelAttention, MatchesNaiveReferenceInDouble) {
  torch::manual_seed(3);
  const auto q = torch::randn({1, 4, 70, 8}, torch::kDouble), k = torch::randn({1, 4, 70, 8}, torch::kDouble);
  const auto v = torch::randn({1, 4, 70, 8}, torch::kDouble);
  torch::Tensor probs, expected_probs;
  const auto out = SparseAttention(q, k, v, kFourHeads, {}, &probs);
  EXPECT_LT((out - NaiveAttention(q, k, v, kFourHeads, &expected_probs)).abs().max().item<double>(), 1e-12);
  EXPECT_LT((probs - expected_probs).abs().max().item<double>(), 1e-12);
}

// The q, k, v gradients of sum(attention * w) against central finite differences in double,
// with dropout on: re-seeding gives every evaluation the same dropout mask, so the function
// is deterministic. Checks every `step`-th element of each input.
void ExpectGradientsMatchFiniteDifferences(int64_t L, const std::vector<P>& patterns, double dropout,
                                           int64_t step) {
  const int64_t H = patterns.size();
  const auto q = torch::randn({1, H, L, 4}, torch::kDouble), k = torch::randn({1, H, L, 4}, torch::kDouble);
  const auto v = torch::randn({1, H, L, 4}, torch::kDouble), w = torch::randn({1, H, L, 4}, torch::kDouble);
  SparseAttentionOptions options;
  options.dropout = dropout;
  options.training = true;
  auto loss = [&](const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& c) {
    torch::manual_seed(99);
    return (SparseAttention(a, b, c, patterns, options) * w).sum();
  };
  const auto qg = q.clone().requires_grad_(), kg = k.clone().requires_grad_(), vg = v.clone().requires_grad_();
  loss(qg, kg, vg).backward();
  const double eps = 1e-6;
  const std::vector<torch::Tensor> inputs = {q, k, v}, grads = {qg.grad(), kg.grad(), vg.grad()};
  for (int which = 0; which < 3; ++which) {
    const auto flat_grad = grads[which].reshape(-1);
    for (int64_t e = 0; e < inputs[which].numel(); e += step) {
      std::vector<torch::Tensor> plus = {q.clone(), k.clone(), v.clone()}, minus = {q.clone(), k.clone(), v.clone()};
      plus[which].view(-1)[e] += eps;
      minus[which].view(-1)[e] -= eps;
      const double numeric = (loss(plus[0], plus[1], plus[2]) - loss(minus[0], minus[1], minus[2])).item<double>() / (2 * eps);
      ASSERT_NEAR(flat_grad[e].item<double>(), numeric, 1e-6) << "input " << which << " element " << e;
    }
  }
}

TEST(KernelAttention, GradientsMatchFiniteDifferences) {
  torch::manual_seed(5);
  ExpectGradientsMatchFiniteDifferences(21, kFourHeads, 0.25, 1);
}

// Full causal attention and random patterns over several blocks and tiles; every 7th
// element keeps the test fast while reaching every head, block and tile.
TEST(KernelAttention, GradientsMatchFiniteDifferencesForAnyPattern) {
  torch::manual_seed(6);
  std::vector<P> patterns = {*BuiltinPattern("dense")};
  for (const P& p : RandomPatterns(3, 2)) patterns.push_back(p);
  ExpectGradientsMatchFiniteDifferences(70, patterns, 0.2, 7);
}

// With dropout p, out = sum_c P_c m_c / (1-p) v_c with m_c ~ Bernoulli(1-p): its mean is
// the output without dropout and its variance p/(1-p) sum_c P_c^2 v_c^2. Checks both over
// `samples` draws of every implementation given; returns the output without dropout.
torch::Tensor ExpectDropoutMeanAndVariance(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                           const std::vector<P>& patterns, double p, int64_t samples,
                                           const std::vector<SparseAttentionImpl>& impls) {
  torch::Tensor probs;
  const auto clean = SparseAttention(q, k, v, patterns, {}, &probs).to(torch::kDouble);
  const auto expected_var =
      p / (1 - p) * torch::matmul(probs.to(torch::kDouble).square(), v.to(torch::kDouble).square());
  for (const auto impl : impls) {
    SparseAttentionOptions options;
    options.impl = impl;
    options.dropout = p;
    options.training = true;
    std::vector<torch::Tensor> draws;
    for (int64_t s = 0; s < samples; ++s) draws.push_back(SparseAttention(q, k, v, patterns, options).to(torch::kDouble));
    const auto stack = torch::stack(draws);
    const auto mean = stack.mean(0), var = stack.var(0);
    // Mean: standardised errors have mean square about 1.
    const double z2 = ((mean - clean).square() / (expected_var / samples)).mean().item<double>();
    EXPECT_GT(z2, 0.8) << static_cast<int>(impl);
    EXPECT_LT(z2, 1.25) << static_cast<int>(impl);
    // Variance: total within 5% (the sampling error of the sum is about 1.5% here).
    const double ratio = (var.sum() / expected_var.sum()).item<double>();
    EXPECT_NEAR(ratio, 1.0, 0.05) << static_cast<int>(impl);
  }
  return clean;
}

TEST(SparseAttentionDropout, OutputsKeepMeanAndVariance) {
  torch::manual_seed(11);
  const int64_t L = 40;
  const double p = 0.3;
  const auto q = torch::randn({1, 4, L, 8}), k = torch::randn({1, 4, L, 8}), v = torch::randn({1, 4, L, 8});
  const auto clean = ExpectDropoutMeanAndVariance(q, k, v, kFourHeads, p, 400,
                                                  {SparseAttentionImpl::kKernel, SparseAttentionImpl::kMasked});
  // Without training, dropout is off: the output is the clean one.
  SparseAttentionOptions eval;
  eval.dropout = p;
  EXPECT_TRUE(torch::equal(SparseAttention(q, k, v, kFourHeads, eval).to(torch::kDouble), clean));
}

// The same statistics for full causal attention over several blocks and tiles.
TEST(SparseAttentionDropout, DenseOutputsKeepMeanAndVariance) {
  torch::manual_seed(12);
  const int64_t L = 150;
  const auto q = torch::randn({1, 2, L, 8}), k = torch::randn({1, 2, L, 8}), v = torch::randn({1, 2, L, 8});
  ExpectDropoutMeanAndVariance(q, k, v, std::vector<P>(2, *BuiltinPattern("dense")), 0.1, 400,
                               {SparseAttentionImpl::kKernel});
}

TEST(KernelAttention, HalfPrecisionInputsAreComputedInFloat) {
  torch::manual_seed(13);
  const auto q = torch::randn({1, 4, 50, 16}), k = torch::randn({1, 4, 50, 16}), v = torch::randn({1, 4, 50, 16});
  const auto expected = SparseAttention(q, k, v, kFourHeads, {});
  const auto bf16 = SparseAttention(q.to(torch::kBFloat16), k.to(torch::kBFloat16), v.to(torch::kBFloat16), kFourHeads, {});
  EXPECT_EQ(bf16.scalar_type(), torch::kBFloat16);
  EXPECT_LT((bf16.to(torch::kFloat) - expected).abs().max().item<float>(), 0.1f);
}

// Every run's output and gradients equal the first run's, bit for bit.
void ExpectBitwiseEqual(const std::vector<Result>& runs) {
  for (size_t r = 1; r < runs.size(); ++r) {
    EXPECT_TRUE(torch::equal(runs[r].out, runs[0].out)) << "run " << r;
    EXPECT_TRUE(torch::equal(runs[r].dq, runs[0].dq)) << "run " << r;
    EXPECT_TRUE(torch::equal(runs[r].dk, runs[0].dk)) << "run " << r;
    EXPECT_TRUE(torch::equal(runs[r].dv, runs[0].dv)) << "run " << r;
  }
}

// The same inputs give the same bits wherever the heap puts the kernel's buffers: a
// resumed run (or one that read a pattern file first) allocates in another order than an
// uninterrupted one, and training must not see it (the k_proj biases' gradient is exactly 0
// in exact arithmetic, so Adam turns any rounding difference into a full step). Each run is
// on a fresh thread (fresh per-thread buffers, the kernel inline on it) after holding a
// block of another size, so that its buffers start at other addresses modulo the vector width.
TEST(KernelAttention, ResultsDoNotDependOnWhereTheHeapPutsItsBuffers) {
  torch::manual_seed(14);
  std::vector<P> patterns = DefaultEight();
  patterns.push_back(*BuiltinPattern("dense"));
  const int64_t H = patterns.size(), L = 150;
  const auto q = torch::randn({2, H, L, 16}), k = torch::randn({2, H, L, 16}), v = torch::randn({2, H, L, 16});
  const auto w = torch::randn({2, H, L, 16});
  std::vector<Result> runs;
  for (size_t held : {0, 8, 24, 40, 56, 72}) {
    std::thread([&] {
      at::set_num_threads(1);
      std::vector<char> block(held);
      torch::manual_seed(15);  // the same dropout seed for every run
      runs.push_back(RunAttention(SparseAttentionImpl::kKernel, q, k, v, w, patterns, 0.1));
    }).join();
  }
  ExpectBitwiseEqual(runs);
}

// The tasks (a head's block of queries forward, a head backward) write disjoint outputs, so
// the thread count changes no bit (that the tasks do spread over the threads is
// parallel_for_copts_test's concern): a run resumed at another --threads computes what it
// would have.
TEST(KernelAttention, ResultsDoNotDependOnTheThreadCount) {
  torch::manual_seed(16);
  std::vector<P> patterns = DefaultEight();
  patterns.push_back(*BuiltinPattern("dense"));
  const int64_t H = patterns.size(), L = 200;
  const auto q = torch::randn({2, H, L, 16}), k = torch::randn({2, H, L, 16}), v = torch::randn({2, H, L, 16});
  const auto w = torch::randn({2, H, L, 16});
  const int before = at::get_num_threads();
  std::vector<Result> runs;
  for (const int threads : {1, 2, 3}) {
    at::set_num_threads(threads);
    torch::manual_seed(17);  // the same dropout seed for every run
    runs.push_back(RunAttention(SparseAttentionImpl::kKernel, q, k, v, w, patterns, 0.1));
  }
  at::set_num_threads(before);
  ExpectBitwiseEqual(runs);
}

TEST(SparseAttentionImpl, NamesRoundTrip) {
  for (const auto impl : {SparseAttentionImpl::kKernel, SparseAttentionImpl::kMasked}) {
    EXPECT_EQ(*ParseSparseAttentionImpl(SparseAttentionImplName(impl)), impl);
  }
  EXPECT_EQ(SparseAttentionImplName(SparseAttentionImpl::kMasked), "masked");
  EXPECT_EQ(ParseSparseAttentionImpl("dense").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SparseAttention, RejectsBadShapes) {
  const auto x = torch::randn({1, 2, 5, 4});
  EXPECT_THROW(SparseAttention(x, x, x, {kFourHeads[0]}, {}), c10::Error);
  EXPECT_THROW(SparseAttention(x, x, torch::randn({1, 2, 6, 4}), {kFourHeads[0], kFourHeads[0]}, {}), c10::Error);
  EXPECT_THROW(SparseAttention(x[0], x[0], x[0], {kFourHeads[0], kFourHeads[0]}, {}), c10::Error);
}

}  // namespace
}  // namespace attn::model
