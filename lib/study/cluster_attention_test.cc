#include "lib/study/cluster_attention.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "gtest/gtest.h"

namespace attn::study {
namespace {

// Fails the test unless `text` holds `part`.
void ExpectHas(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "\"" << text << "\" lacks \"" << part << "\"";
}

io::Table Csv(const std::string& text) {
  absl::StatusOr<io::Table> t = io::ParseTable(text, "clusters.csv");
  EXPECT_TRUE(t.ok()) << t.status();
  return *t;
}

TEST(ParseHeadClustersTest, GroupsHeadsByLabelInOrder) {
  absl::StatusOr<HeadClusters> c = ParseHeadClusters(Csv(
      "layer,head,entropy,cluster\n1,0,0.5,5\n0,1,0.1,2\n0,0,0.2,5\n1,1,0.3,0\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->labels, (std::vector<int64_t>{0, 2, 5}));
  ASSERT_EQ(c->members.size(), 3u);
  EXPECT_EQ(c->members[0], (std::vector<HeadId>{{1, 1}}));
  EXPECT_EQ(c->members[1], (std::vector<HeadId>{{0, 1}}));
  EXPECT_EQ(c->members[2], (std::vector<HeadId>{{0, 0}, {1, 0}}));
  EXPECT_EQ(c->source, "clusters.csv");
}

TEST(ParseHeadClustersTest, BadTablesNameTheLineAndColumn) {
  auto error = [](const std::string& text) {
    absl::StatusOr<HeadClusters> c = ParseHeadClusters(Csv(text));
    EXPECT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition) << text;
    return std::string(c.status().message());
  };
  ExpectHas(error("layer,head,entropy\n0,0,1\n"), "no column 'cluster'");
  ExpectHas(error("layer,cluster\n0,0\n"), "no column 'head'");
  ExpectHas(error("layer,head,cluster\n0,0,1\n0,1,1.5\n"), "clusters.csv: line 3, column 'cluster': '1.5' is not an integer cluster label");
  ExpectHas(error("layer,head,cluster\n-1,0,1\n"), "line 2, column 'layer': '-1' is not a 0-based index");
  ExpectHas(error("layer,head,cluster\n0,x,1\n"), "column 'head': 'x'");
  ExpectHas(error("layer,head,cluster\n0,1,0\n0,2,0\n0,1,1\n"), "line 4: layer 0 head 1 is listed again (first on line 2)");
  ExpectHas(error("layer,head,cluster\n"), "clusters.csv: no rows");
}

// A stream of records [layers, heads, n, n] in a temporary file, read back from the start.
class Stream {
 public:
  Stream() : file_(std::tmpfile()) {}
  ~Stream() { std::fclose(file_); }
  void Add(const std::vector<float>& data, const std::vector<int64_t>& shape) {
    ASSERT_TRUE(io::WriteNpyRecord(file_, data.data(), shape).ok());
  }
  absl::StatusOr<ClusterAttention> Sum(const HeadClusters& clusters, int threads = 1) {
    std::rewind(file_);
    io::NpyStreamReader reader(file_, "dense.npy");
    SumOptions options;
    options.threads = threads;
    return SumClusterAttention(&reader, clusters, options);
  }

 private:
  std::FILE* file_;
};

// Record r, matrix m (layer * heads + head): lower-triangle entry [i, j] = 100 r + 10 m + 3 i + j.
std::vector<float> Record(int r, int64_t matrices, int64_t n) {
  std::vector<float> data(matrices * n * n, 0.0f);
  for (int64_t m = 0; m < matrices; ++m)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j <= i; ++j) data[(m * n + i) * n + j] = 100.0f * r + 10.0f * m + 3.0f * i + j;
  return data;
}

HeadClusters TwoByTwo() {
  // Cluster 7: heads (0, 0) and (1, 1) = matrices 0 and 3; cluster 9: (0, 1) and (1, 0).
  absl::StatusOr<HeadClusters> c = ParseHeadClusters(Csv("layer,head,cluster\n0,0,7\n0,1,9\n1,0,9\n1,1,7\n"));
  EXPECT_TRUE(c.ok());
  return *c;
}

TEST(SumClusterAttentionTest, SumsEachClustersHeadsOverSequences) {
  Stream s;
  const std::vector<int64_t> shape = {2, 2, 3, 3};
  s.Add(Record(0, 4, 3), shape);
  s.Add(Record(1, 4, 3), shape);
  for (int threads : {1, 2, 5}) {
    absl::StatusOr<ClusterAttention> a = s.Sum(TwoByTwo(), threads);
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(a->layers, 2);
    EXPECT_EQ(a->heads, 2);
    EXPECT_EQ(a->seq_len, 3);
    EXPECT_EQ(a->sequences, 2);
    ASSERT_EQ(a->sums.size(), 2u);
    for (int64_t i = 0; i < 3; ++i) {
      for (int64_t j = 0; j < 3; ++j) {
        // Over r = 0, 1: cluster 7 has m = 0, 3 (sum 100 r * 2 + 30 + 2 (3 i + j)); cluster 9 has m = 1, 2.
        const double base = 4 * (3 * i + j) + 200;
        EXPECT_EQ(a->sums[0][i * 3 + j], j <= i ? base + 60 : 0) << i << "," << j;
        EXPECT_EQ(a->sums[1][i * 3 + j], j <= i ? base + 60 : 0) << i << "," << j;
      }
    }
  }
}

TEST(SumClusterAttentionTest, UnevenClustersAndOneRecord) {
  Stream s;
  s.Add(Record(0, 4, 2), {2, 2, 2, 2});
  absl::StatusOr<HeadClusters> c = ParseHeadClusters(Csv("layer,head,cluster\n0,0,0\n0,1,1\n1,0,1\n1,1,1\n"));
  ASSERT_TRUE(c.ok());
  absl::StatusOr<ClusterAttention> a = s.Sum(*c);
  ASSERT_TRUE(a.ok()) << a.status();
  // Entry [1, 0]: 10 m + 3; cluster 0 = m 0, cluster 1 = m 1 + 2 + 3.
  EXPECT_EQ(a->sums[0][2], 3);
  EXPECT_EQ(a->sums[1][2], 10 + 20 + 30 + 9);
  EXPECT_EQ(a->sums[1][1], 0);
}

std::string SumError(Stream& s, const HeadClusters& c) {
  absl::StatusOr<ClusterAttention> a = s.Sum(c, 2);
  EXPECT_FALSE(a.ok());
  return std::string(a.status().message());
}

TEST(SumClusterAttentionTest, HeadsMustMatchTheStream) {
  Stream s;
  s.Add(Record(0, 4, 3), {2, 2, 3, 3});
  absl::StatusOr<HeadClusters> fewer = ParseHeadClusters(Csv("layer,head,cluster\n0,0,0\n1,1,0\n"));
  ExpectHas(SumError(s, *fewer), "dense.npy: layer 0 head 1, layer 1 head 0 not in clusters.csv; give the clusters");
  absl::StatusOr<HeadClusters> more =
      ParseHeadClusters(Csv("layer,head,cluster\n0,0,0\n0,1,0\n1,0,0\n1,1,0\n2,0,1\n"));
  ExpectHas(SumError(s, *more), "clusters.csv: layer 2 head 0 is not in dense.npy (2 layers of 2 heads)");
  Stream wide;
  wide.Add(Record(0, 20, 1), {1, 20, 1, 1});
  absl::StatusOr<HeadClusters> two = ParseHeadClusters(Csv("layer,head,cluster\n0,0,0\n0,1,0\n"));
  ExpectHas(SumError(wide, *two), "dense.npy: layer 0 head 2, layer 0 head 3, layer 0 head 4 and 15 more not in");
}

TEST(SumClusterAttentionTest, BadStreams) {
  Stream empty;
  ExpectHas(SumError(empty, TwoByTwo()), "dense.npy: no records");
  Stream flat;
  flat.Add(std::vector<float>(4, 0.25f), {4});
  ExpectHas(SumError(flat, TwoByTwo()), "record 0 has shape [4]; expected [layers, heads, L, L]");
  Stream shapes;
  shapes.Add(Record(0, 4, 3), {2, 2, 3, 3});
  shapes.Add(Record(0, 4, 2), {2, 2, 2, 2});
  ExpectHas(SumError(shapes, TwoByTwo()), "record 1 has shape [2, 2, 2, 2] but record 0 has [2, 2, 3, 3]; records must all have");
  for (float v : {-0.5f, std::nanf(""), std::numeric_limits<float>::infinity()}) {
    Stream bad;
    bad.Add(Record(0, 4, 3), {2, 2, 3, 3});
    std::vector<float> r = Record(1, 4, 3);
    r[(2 * 3 + 2) * 3 + 1] = v;  // matrix 2 = layer 1 head 0, entry [2, 1]
    bad.Add(r, {2, 2, 3, 3});
    ExpectHas(SumError(bad, TwoByTwo()), "dense.npy: record 1, layer 1, head 0: entry [2, 1] is ");
    ExpectHas(SumError(bad, TwoByTwo()), "attention must be finite and non-negative");
  }
  Stream future;
  std::vector<float> r = Record(0, 4, 3);
  r[(3 * 3 + 0) * 3 + 2] = 0.125f;  // layer 1 head 1, entry [0, 2]
  future.Add(r, {2, 2, 3, 3});
  ExpectHas(SumError(future, TwoByTwo()), "layer 1, head 1: entry [0, 2] is 0.125; expected causal attention (zero above the diagonal)");
}

}  // namespace
}  // namespace attn::study
