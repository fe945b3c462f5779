#include "lib/analysis/head_metrics.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <atomic>
#include <cstdlib>
#include <new>

#include "gtest/gtest.h"

// The largest single allocation the test process has made, for the hostile-header tests.
std::atomic<size_t> g_largest_allocation{0};

void* operator new(size_t size) {
  for (size_t seen = g_largest_allocation; size > seen;) {
    if (g_largest_allocation.compare_exchange_weak(seen, size)) break;
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace attn::analysis {
namespace {

// The default metrics by name (the table's first three columns).
struct MatrixMetrics {
  double entropy = 0;
  double sparsity = 0;
  double distance = 0;
};

MatrixMetrics Named(const std::vector<double>& values) {
  const std::vector<const HeadMetric*> metrics = SelectHeadMetrics(false);
  EXPECT_EQ(values.size(), metrics.size());
  MatrixMetrics m;
  for (size_t k = 0; k < metrics.size() && k < values.size(); ++k) {
    if (metrics[k]->name == "entropy") m.entropy = values[k];
    if (metrics[k]->name == "sparsity") m.sparsity = values[k];
    if (metrics[k]->name == "distance") m.distance = values[k];
  }
  return m;
}

MatrixMetrics Metrics(const std::vector<float>& a, int64_t length, double threshold = 1e-4) {
  absl::StatusOr<std::vector<double>> m = ComputeMatrixMetrics(a.data(), length, threshold);
  EXPECT_TRUE(m.ok()) << m.status();
  return Named(m.value_or(std::vector<double>(3)));
}

TEST(ComputeMatrixMetrics, HandComputedTwoByTwo) {
  // Row 0 attends to itself; row 1 splits 1/4, 3/4. Rows already sum to 1, so the
  // renormalisation only divides by 1 + 1e-9.
  const MatrixMetrics m = Metrics({1, 0, 0.25f, 0.75f}, 2);
  const double row1 = -(0.25 * std::log(0.25) + 0.75 * std::log(0.75));  // 0.5623351446...
  EXPECT_NEAR(m.entropy, row1 / 2, 1e-8);
  EXPECT_DOUBLE_EQ(m.sparsity, 0.25);  // the masked entry [0, 1]
  EXPECT_NEAR(m.distance, 0.25 / 2, 1e-12);
}

TEST(ComputeMatrixMetrics, SparsityCountsRenormalisedEntriesBelowTheThreshold) {
  // Row 1 sums to 2: renormalised it is 0.00005, 0.99995 (below 1e-4 only after scaling).
  const MatrixMetrics m = Metrics({0.5f, 0.5f, 0.0001f, 1.9999f}, 2);
  EXPECT_DOUBLE_EQ(m.sparsity, 0.25);
  EXPECT_DOUBLE_EQ(Metrics({0.5f, 0.5f, 0.0001f, 1.9999f}, 2, 1e-5).sparsity, 0.0);
  // Distance uses the renormalised weights: (0.5 * 1 + 0.00005 * 1) / 2.
  EXPECT_NEAR(m.distance, (0.5 + 0.00005) / 2, 1e-9);
}

TEST(ComputeMatrixMetrics, UniformCausalAttentionClosedForm) {
  const int n = 64;
  std::vector<float> a(n * n, 0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j <= i; ++j) a[i * n + j] = 1.0f / static_cast<float>(i + 1);
  const MatrixMetrics m = Metrics(a, n);
  EXPECT_NEAR(m.entropy, std::lgamma(n + 1.0) / n, 1e-7);  // mean of log(i + 1)
  EXPECT_DOUBLE_EQ(m.sparsity, (n - 1) / (2.0 * n));      // the masked upper triangle
  EXPECT_NEAR(m.distance, (n - 1) / 4.0, 1e-7);           // row i: mean of 0..i = i / 2
}

TEST(ComputeMatrixMetrics, OneHotOnTheDiagonalAndOnColumnZero) {
  const int n = 50;
  std::vector<float> diagonal(n * n, 0), column0(n * n, 0);
  for (int i = 0; i < n; ++i) {
    diagonal[i * n + i] = 1;
    column0[i * n] = 1;
  }
  const MatrixMetrics d = Metrics(diagonal, n);
  EXPECT_NEAR(d.entropy, 0, 1e-12);
  EXPECT_DOUBLE_EQ(d.sparsity, 1 - 1.0 / n);
  EXPECT_DOUBLE_EQ(d.distance, 0);
  const MatrixMetrics c = Metrics(column0, n);
  EXPECT_NEAR(c.entropy, 0, 1e-12);
  EXPECT_DOUBLE_EQ(c.sparsity, 1 - 1.0 / n);
  EXPECT_NEAR(c.distance, (n - 1) / 2.0, 1e-12);
}

TEST(ComputeMatrixMetrics, RejectsNegativeNanInfiniteAndAllZero) {
  EXPECT_EQ(ComputeMatrixMetrics(std::vector<float>{1, 0, -0.5f, 1}.data(), 2, 1e-4)
                .status()
                .message(),
            "entry [1, 0] is -0.5; attention must be finite and non-negative");
  EXPECT_FALSE(ComputeMatrixMetrics(std::vector<float>{NAN, 0, 0, 1}.data(), 2, 1e-4).ok());
  EXPECT_FALSE(ComputeMatrixMetrics(std::vector<float>{INFINITY, 0, 0, 1}.data(), 2, 1e-4).ok());
  EXPECT_EQ(ComputeMatrixMetrics(std::vector<float>(4, 0).data(), 2, 1e-4).status().message(),
            "every entry is zero; expected attention probabilities");
}

// Random causal softmax attention [layers, heads, L, L]; wide logits give entries < 1e-4.
std::vector<float> RandomAttention(int layers, int heads, int n, std::mt19937_64* rng) {
  std::normal_distribution<double> logit(0, 3);
  std::vector<float> a(static_cast<size_t>(layers) * heads * n * n, 0);
  for (int m = 0; m < layers * heads; ++m) {
    for (int i = 0; i < n; ++i) {
      std::vector<double> e(i + 1);
      double sum = 0;
      for (int j = 0; j <= i; ++j) sum += e[j] = std::exp(logit(*rng));
      for (int j = 0; j <= i; ++j) a[(static_cast<size_t>(m) * n + i) * n + j] = e[j] / sum;
    }
  }
  return a;
}

// docs/design.md section 8 literally, in double, every entry visited.
MatrixMetrics BruteForce(const float* a, int n) {
  std::vector<double> r(a, a + n * n);
  for (int i = 0; i < n; ++i) {
    double s = 0;
    for (int j = 0; j < n; ++j) s += r[i * n + j];
    for (int j = 0; j < n; ++j) r[i * n + j] /= s + 1e-9;
  }
  MatrixMetrics m;
  double num = 0, den = 0;
  for (int i = 0; i < n; ++i) {
    double h = 0;
    for (int j = 0; j < n; ++j) {
      const double x = r[i * n + j];
      h -= x * std::log(x + 1e-9);
      m.sparsity += x < 1e-4;
      num += x * std::abs(i - j);
      den += x;
    }
    m.entropy += h / n;
  }
  m.sparsity /= n * n;
  m.distance = num / den;
  return m;
}

// A stream of records in memory; fmemopen reads it like a pipe.
class Stream {
 public:
  void Add(const std::vector<float>& data, std::vector<int64_t> shape) {
    FILE* f = open_memstream(&buf_, &size_);
    fwrite(bytes_.data(), 1, bytes_.size(), f);
    ASSERT_TRUE(io::WriteNpyRecord(f, data.data(), shape).ok());
    fclose(f);
    bytes_.assign(buf_, size_);
    free(buf_);
  }
  void AddRaw(const std::string& bytes) { bytes_ += bytes; }
  const std::string& bytes() const { return bytes_; }
  absl::StatusOr<std::vector<HeadMetrics>> Compute(int threads,
                                                   MeasureOptions options = {}) const {
    FILE* f = fmemopen(const_cast<char*>(bytes_.data()), bytes_.size(), "rb");
    io::NpyStreamReader reader(f, "in.npy");
    options.threads = threads;
    absl::StatusOr<std::vector<HeadMetrics>> out = ComputeHeadMetrics(&reader, options);
    fclose(f);
    return out;
  }

 private:
  std::string bytes_;
  char* buf_ = nullptr;
  size_t size_ = 0;
};

TEST(ComputeHeadMetrics, MatchesABruteForceReferenceAveragedOverSequences) {
  const int layers = 2, heads = 3, n = 40, records = 3;
  std::mt19937_64 rng(7);
  Stream stream;
  std::vector<MatrixMetrics> expected(layers * heads);
  for (int r = 0; r < records; ++r) {
    const std::vector<float> a = RandomAttention(layers, heads, n, &rng);
    stream.Add(a, {layers, heads, n, n});
    for (int m = 0; m < layers * heads; ++m) {
      const MatrixMetrics b = BruteForce(a.data() + static_cast<size_t>(m) * n * n, n);
      expected[m].entropy += b.entropy / records;
      expected[m].sparsity += b.sparsity / records;
      expected[m].distance += b.distance / records;
    }
  }
  absl::StatusOr<std::vector<HeadMetrics>> one = stream.Compute(1);
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_EQ(one->size(), static_cast<size_t>(layers * heads));
  bool some_sparse_entries = false;
  for (int m = 0; m < layers * heads; ++m) {
    const HeadMetrics& h = (*one)[m];
    EXPECT_EQ(h.layer, m / heads);
    EXPECT_EQ(h.head, m % heads);
    const MatrixMetrics got = Named(h.values);
    EXPECT_NEAR(got.entropy, expected[m].entropy, 1e-12);
    EXPECT_NEAR(got.sparsity, expected[m].sparsity, 1e-15);
    EXPECT_NEAR(got.distance, expected[m].distance, 1e-11);
    some_sparse_entries |= got.sparsity > (n - 1) / (2.0 * n);
  }
  EXPECT_TRUE(some_sparse_entries) << "the fixture should have entries below 1e-4";
  for (int threads : {2, 3, 4, 7}) {
    absl::StatusOr<std::vector<HeadMetrics>> many = stream.Compute(threads);
    ASSERT_TRUE(many.ok()) << many.status();
    for (int m = 0; m < layers * heads; ++m) {
      EXPECT_EQ((*many)[m].values, (*one)[m].values) << threads;
    }
  }
}

TEST(ComputeHeadMetrics, RejectsBadStreamsWithOneLine) {
  std::mt19937_64 rng(1);
  const std::vector<float> a = RandomAttention(1, 2, 4, &rng);
  Stream good;
  good.Add(a, {1, 2, 4, 4});
  EXPECT_TRUE(good.Compute(2).ok());

  EXPECT_EQ(Stream().Compute(1).status().message(),
            "in.npy: no records; expected an attention stream");
  Stream other_shape = good;
  other_shape.Add(a, {2, 1, 4, 4});
  EXPECT_EQ(other_shape.Compute(2).status().message(),
            "in.npy: record 1 has shape [2, 1, 4, 4] but record 0 has [1, 2, 4, 4]; records "
            "must all have the same shape");
  Stream not_4d;
  not_4d.Add(a, {2, 4, 4});
  EXPECT_EQ(not_4d.Compute(1).status().message(),
            "in.npy: record 0 has shape [2, 4, 4]; expected [layers, heads, L, L] attention");
  Stream not_square;
  not_square.Add(a, {1, 2, 2, 8});
  EXPECT_FALSE(not_square.Compute(1).ok());
  std::vector<float> nan = a;
  nan[16 + 5] = NAN;
  Stream with_nan = good;
  with_nan.Add(nan, {1, 2, 4, 4});
  EXPECT_EQ(with_nan.Compute(3).status().message(),
            "in.npy: record 1, layer 0, head 1: entry [1, 1] is nan; attention must be finite "
            "and non-negative");
  Stream truncated;
  truncated.AddRaw(good.bytes() + good.bytes().substr(0, good.bytes().size() - 1));
  EXPECT_EQ(truncated.Compute(2).status().message(),
            "in.npy: record 1: truncated data: the stream ends 1 bytes before the record's end");
  Stream text;
  text.AddRaw("layer,head\n");
  EXPECT_FALSE(text.Compute(1).ok());
}

// Record r's key bytes: the window of `tokens` at r L, as dump_attention cuts them.
MeasureOptions WithTokens(const std::string& tokens, bool profiles) {
  MeasureOptions o;
  o.token_window = [tokens](int64_t record, int64_t length) -> absl::StatusOr<std::string> {
    if ((record + 1) * length > static_cast<int64_t>(tokens.size())) {
      return absl::FailedPreconditionError("tokens too short");
    }
    return tokens.substr(record * length, length);
  };
  o.profiles = profiles;
  return o;
}

TEST(ComputeHeadMetrics, HandComputedPositionScoresAndProfilesAveragedOverSequences) {
  // Record 0 = "a b": row 0 on itself; row 1 1/4 on byte 0, 3/4 on itself; row 2 on byte 1.
  // Record 1 = "[\n3": every row on byte 0. One layer, one head, L = 3.
  Stream stream;
  stream.Add({1, 0, 0, 0.25f, 0.75f, 0, 0, 1, 0}, {1, 1, 3, 3});
  stream.Add({1, 0, 0, 1, 0, 0, 1, 0, 0}, {1, 1, 3, 3});
  const std::string tokens = "a b[\n3";
  for (int threads : {1, 3}) {
    absl::StatusOr<std::vector<HeadMetrics>> heads =
        stream.Compute(threads, WithTokens("a b[\n3", true));
    ASSERT_TRUE(heads.ok()) << heads.status();
    ASSERT_EQ(heads->size(), 1u);
    const std::vector<const HeadMetric*> metrics = SelectHeadMetrics(true);
    ASSERT_EQ((*heads)[0].values.size(), metrics.size());
    std::map<std::string, double> v;
    for (size_t k = 0; k < metrics.size(); ++k) v[metrics[k]->name] = (*heads)[0].values[k];
    const double r = 1 / (1 + 1e-9);  // every row sums to 1
    // Per record: the mean over rows (rows 1..2 for to_prev); then the mean of the records.
    EXPECT_NEAR(v["to_prev"], ((0.25 + 1) / 2 + (1 + 0) / 2.0) / 2 * r, 1e-15);
    EXPECT_NEAR(v["to_self"], ((1 + 0.75) / 3 + 1 / 3.0) / 2 * r, 1e-15);
    EXPECT_NEAR(v["to_first"], ((1 + 0.25) / 3 + 1) / 2 * r, 1e-15);
    EXPECT_NEAR(v["to_space"], ((0.75 + 1) / 3 + 0) / 2 * r, 1e-15);  // record 0, byte 1
    EXPECT_NEAR(v["to_bracket"], (0 + 1) / 2.0 * r, 1e-15);         // record 1's byte 0
    EXPECT_NEAR(v["to_newline"], 0, 1e-15);
    EXPECT_NEAR(v["to_digit"], 0, 1e-15);
    EXPECT_NEAR(v["to_lt"], 0, 1e-15);
    EXPECT_NEAR(v["distance"], ((0.25 + 1) / 3 + (0 + 1 + 2) / 3.0) / 2, 1e-9);
    // The profile: per record the mean over rows of the mass at distance d.
    const std::vector<double>& p = (*heads)[0].profile;
    ASSERT_EQ(p.size(), 3u);
    EXPECT_NEAR(p[0], ((1 + 0.75) / 3 + 1 / 3.0) / 2 * r, 1e-15);
    EXPECT_NEAR(p[1], ((0.25 + 1) / 3 + 1 / 3.0) / 2 * r, 1e-15);
    EXPECT_NEAR(p[2], (0 + 1 / 3.0) / 2 * r, 1e-15);
    EXPECT_NEAR(p[0] + p[1] + p[2], r, 1e-15);
  }
  EXPECT_EQ(stream.Compute(2, WithTokens("a b[", false)).status().message(), "tokens too short");
}

TEST(ComputeHeadMetrics, ManyThreadsGiveTheSameNumbersWithEveryOption) {
  std::mt19937_64 rng(3);
  Stream stream;
  std::string tokens;
  for (int r = 0; r < 3; ++r) stream.Add(RandomAttention(2, 2, 37, &rng), {2, 2, 37, 37});
  for (int j = 0; j < 3 * 37; ++j) tokens += "<a [ \n9x"[j % 8];
  const absl::StatusOr<std::vector<HeadMetrics>> one = stream.Compute(1, WithTokens(tokens, true));
  ASSERT_TRUE(one.ok()) << one.status();
  for (int threads : {2, 5}) {
    const absl::StatusOr<std::vector<HeadMetrics>> many =
        stream.Compute(threads, WithTokens(tokens, true));
    ASSERT_TRUE(many.ok());
    for (size_t h = 0; h < one->size(); ++h) {
      EXPECT_EQ((*many)[h].values, (*one)[h].values);
      EXPECT_EQ((*many)[h].profile, (*one)[h].profile);
    }
  }
}

// Headers that claim far more data than follows (found by fuzzing): one error, and no
// allocation sized by the claim.
TEST(ComputeHeadMetrics, NeverAllocatesFromAHeaderAlone) {
  const std::vector<std::vector<int64_t>> claims = {
      {100000000000, 1, 1, 1}, {1, int64_t{1} << 31, 1, 1}, {1, 1, 20000, 20000}};
  for (const std::vector<int64_t>& shape : claims) {
    for (int threads : {1, 2}) {
      Stream hostile;
      std::string ones;
      for (int k = 0; k < 16; ++k) ones.append("\x00\x00\x80\x3f", 4);  // 1.0f
      hostile.AddRaw(io::NpyFloat32Header(shape) + ones);
      g_largest_allocation = 0;
      const absl::Status s = hostile.Compute(threads).status();
      EXPECT_FALSE(s.ok());
      EXPECT_EQ(s.message().substr(0, 17), "in.npy: record 0:") << s;
      EXPECT_LT(g_largest_allocation.load(), size_t{8} << 20) << s;
    }
  }
}

TEST(HeadMetricsTable, HasTheExactHeaderAndFullPrecision) {
  HeadMetrics h;
  h.layer = 1;
  h.head = 2;
  h.values = {1.0 / 3, 0.967071533203125, 2.94924259185791};
  EXPECT_EQ(io::FormatTable(HeadMetricsTable({h}, false)),
            "layer,head,entropy,sparsity,distance\n1,2,0.3333333333333333,0.967071533203125,"
            "2.94924259185791\n");
  h.values.resize(SelectHeadMetrics(true).size(), 0.5);
  EXPECT_EQ(io::FormatTable(HeadMetricsTable({h}, true)).substr(0, 157),
            "layer,head,entropy,sparsity,distance,to_prev,to_self,to_first,to_space,to_newline,"
            "to_lt,to_bracket,to_digit\n1,2,0.3333333333333333,0.967071533203125,2.949242");
  h.profile = {0.75, 0.25};
  EXPECT_EQ(io::FormatTable(ProfileTable({h})), "layer,head,d0,d1\n1,2,0.75,0.25\n");
}

}  // namespace
}  // namespace attn::analysis
