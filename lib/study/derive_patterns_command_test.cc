#include "lib/study/derive_patterns_command.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/io/atomic_file.h"
#include "lib/io/npy.h"
#include "lib/model/pattern_file.h"
#include "lib/study/planted_attention.h"
#include "nlohmann/json.hpp"

namespace attn::study {
namespace {

using model::AttentionPattern;
using model::PatternAtLength;
using nlohmann::json;

constexpr int64_t kL = 64;
constexpr int64_t kSequences = 3;

// Fails the test unless `text` holds `part`.
void ExpectHas(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "\"" << text << "\" lacks \"" << part << "\"";
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

// A planted dense model: heads of three known structures, clustered by structure, under
// the labels 0 (local), 1 (strided) and 4 (anchored).
struct Planted {
  std::map<int64_t, AttentionPattern> truth = {
      {0, {8, 0, {}}}, {1, {16, 8, {}}}, {4, {std::nullopt, 0, {0.0, 0.5, 1.0}}}};
  // label[layer][head]: layer 0 has 3 local, 2 strided, 1 anchored; layer 1 has 1, 1, 4.
  std::vector<std::vector<int64_t>> label = {{0, 1, 0, 4, 1, 0}, {4, 1, 0, 4, 4, 4}};
  std::string stream = TempPath("dense.npy");
  std::string csv = TempPath("clusters.csv");
  std::map<int64_t, std::vector<double>> sums;  // per label, over heads and sequences

  // Odd heads get 5% uniform noise.
  std::vector<float> Head(int64_t s, int64_t l, int64_t h) const {
    return PlantedAttention(truth.at(label[l][h]), kL, h % 2 ? 0.05 : 0.0, 1000 * s + 10 * l + h);
  }

  Planted() {
    const int64_t layers = 2, heads = 6;
    std::FILE* f = std::fopen(stream.c_str(), "wb");
    std::string rows = "layer,head,entropy,cluster\n";
    for (int64_t s = 0; s < kSequences; ++s) {
      std::vector<float> record;
      for (int64_t l = 0; l < layers; ++l) {
        for (int64_t h = 0; h < heads; ++h) {
          const std::vector<float> a = Head(s, l, h);
          record.insert(record.end(), a.begin(), a.end());
          std::vector<double>& sum = sums[label[l][h]];
          sum.resize(kL * kL, 0.0);
          for (size_t k = 0; k < a.size(); ++k) sum[k] += a[k];
          if (s == 0) rows += std::to_string(l) + "," + std::to_string(h) + ",0.5," + std::to_string(label[l][h]) + "\n";
        }
      }
      EXPECT_TRUE(io::WriteNpyRecord(f, record.data(), {layers, heads, kL, kL}).ok());
    }
    std::fclose(f);
    EXPECT_TRUE(io::WriteFileAtomically(csv, rows).ok());
  }

  DerivePatternsOptions Options(const std::string& output) const {
    DerivePatternsOptions o;
    o.attention = stream;
    o.clusters = csv;
    o.output = output;
    o.heads = 4;
    return o;
  }
};

double Coverage(const std::vector<double>& mass, const AttentionPattern& p) {
  const PatternAtLength at(p, kL);
  double total = 0, covered = 0;
  for (int64_t i = 0; i < kL; ++i) {
    for (int64_t j = 0; j <= i; ++j) {
      total += mass[i * kL + j];
      if (at.Allows(i, j)) covered += mass[i * kL + j];
    }
  }
  return covered / total;
}

std::vector<std::string> Repeat(std::initializer_list<std::pair<const char*, int>> counts) {
  std::vector<std::string> names;
  for (const auto& [name, n] : counts) names.insert(names.end(), n, name);
  return names;
}

TEST(RunDerivePatternsTest, RecoversPlantedClustersAndSharesHeadsBySize) {
  const Planted planted;
  const std::string out = TempPath("patterns.json");
  ASSERT_TRUE(RunDerivePatterns(planted.Options(out)).ok());
  absl::StatusOr<std::string> text = io::ReadFile(out);
  ASSERT_TRUE(text.ok());
  absl::StatusOr<model::HeadPatterns> parsed = model::ParsePatternFile(*text, out, 2, 4);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  // 12 heads in clusters of 4, 3, 5: quotas 1.33, 1, 1.67; the spare head to the .67.
  const std::vector<std::string> names = Repeat({{"cluster0", 1}, {"cluster1", 1}, {"cluster4", 2}});
  EXPECT_TRUE(parsed->SameEveryLayer());
  EXPECT_EQ(parsed->LayerNames(0), names);
  EXPECT_EQ(parsed->LayerNames(1), names);

  const json root = json::parse(*text);
  const json& derived = root["derived"];
  EXPECT_EQ(derived["coverage_target"], 0.9);
  EXPECT_EQ(derived["seq_len"], kL);
  EXPECT_EQ(derived["sequences"], kSequences);
  EXPECT_EQ(derived["layers"], 2);
  EXPECT_EQ(derived["heads"], 4);
  EXPECT_EQ(derived["per_layer"], false);
  EXPECT_DOUBLE_EQ(derived["pair_fraction"].get<double>(), parsed->PairFraction(kL));
  ASSERT_EQ(derived["clusters"].size(), 3u);
  const std::vector<int64_t> labels = {0, 1, 4};
  const std::vector<int64_t> assigned = {1, 1, 2};
  for (size_t c = 0; c < 3; ++c) {
    const json& r = derived["clusters"][c];
    const int64_t label = labels[c];
    SCOPED_TRACE(r.dump());
    EXPECT_EQ(r["cluster"], label);
    EXPECT_EQ(r["pattern_name"], "cluster" + std::to_string(label));
    EXPECT_EQ(r["assigned_heads"], (std::vector<int64_t>{assigned[c], assigned[c]}));
    std::vector<std::vector<int64_t>> heads;
    for (int64_t l = 0; l < 2; ++l)
      for (int64_t h = 0; h < 6; ++h)
        if (planted.label[l][h] == label) heads.push_back({l, h});
    EXPECT_EQ(r["heads"], heads);
    // The fitted pattern, as the file defines it, against the planted cluster's own mean.
    const AttentionPattern fit = parsed->At(0, std::find(names.begin(), names.end(), r["pattern_name"]) - names.begin());
    const AttentionPattern& truth = planted.truth.at(label);
    const double coverage = Coverage(planted.sums.at(label), fit);
    EXPECT_GE(coverage, 0.9);
    EXPECT_NEAR(r["coverage"].get<double>(), coverage, 1e-9);
    const int64_t pairs = PatternAtLength(fit, kL).PairCount();
    EXPECT_EQ(r["pairs"], pairs);
    EXPECT_LE(pairs, 1.5 * PatternAtLength(truth, kL).PairCount()) << model::DescribePattern(fit);
    EXPECT_DOUBLE_EQ(r["pair_fraction"].get<double>(), pairs / (kL * (kL + 1) / 2.0));
    EXPECT_EQ(r["pattern_text"].get<std::string>().rfind(model::DescribePattern(fit), 0), 0u);
    EXPECT_EQ(r["anchor_columns"], PatternAtLength(fit, kL).anchor_columns());
  }
}

TEST(RunDerivePatternsTest, FullCoverageGivesThePlantedPatternsOfCleanHeads) {
  // The same heads without noise: coverage 1 then needs exactly the planted support.
  Planted planted;
  std::FILE* f = std::fopen(planted.stream.c_str(), "wb");
  for (int64_t s = 0; s < 2; ++s) {
    std::vector<float> record;
    for (int64_t l = 0; l < 2; ++l) {
      for (int64_t h = 0; h < 6; ++h) {
        const std::vector<float> a = PlantedAttention(planted.truth.at(planted.label[l][h]), kL, 0.0, s * 100 + l * 10 + h);
        record.insert(record.end(), a.begin(), a.end());
      }
    }
    ASSERT_TRUE(io::WriteNpyRecord(f, record.data(), {2, 6, kL, kL}).ok());
  }
  std::fclose(f);
  DerivePatternsOptions o = planted.Options(TempPath("exact.json"));
  o.coverage = 1.0;
  o.heads = 3;
  ASSERT_TRUE(RunDerivePatterns(o).ok());
  absl::StatusOr<model::HeadPatterns> parsed = model::ReadPatternFile(o.output, 2, 3);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->LayerNames(0), (std::vector<std::string>{"cluster0", "cluster1", "cluster4"}));
  EXPECT_EQ(parsed->At(0, 0), planted.truth[0]);
  EXPECT_EQ(parsed->At(0, 1), planted.truth[1]);
  const PatternAtLength anchored(parsed->At(0, 2), kL);
  EXPECT_EQ(anchored.anchor_columns(), (std::vector<int64_t>{0, 31, 63}));
  EXPECT_EQ(anchored.band(), -1);
  EXPECT_EQ(parsed->At(0, 2).stride, 0);
}

TEST(RunDerivePatternsTest, PerLayerFollowsEachLayersClusters) {
  const Planted planted;
  DerivePatternsOptions o = planted.Options(TempPath("per_layer.json"));
  o.per_layer = true;
  ASSERT_TRUE(RunDerivePatterns(o).ok());
  absl::StatusOr<std::string> text = io::ReadFile(o.output);
  ASSERT_TRUE(text.ok());
  absl::StatusOr<model::HeadPatterns> parsed = model::ParsePatternFile(*text, o.output, 2, 4);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  // Layer 0: 3, 2, 1 heads, quotas 2, 1.33, .67: 2, 1, 0 and the spare to the .67.
  EXPECT_EQ(parsed->LayerNames(0), Repeat({{"cluster0", 2}, {"cluster1", 1}, {"cluster4", 1}}));
  // Layer 1: 1, 1, 4 heads, quotas .67, .67, 2.67: 0, 0, 2, the two spares to equal remainders,
  // the larger cluster first, then the lower label: 1, 0, 3. Cluster 1 is then held at one head
  // and the other 3 go to clusters of 1 and 4: quotas .6, 2.4, so 1 and 2.
  EXPECT_EQ(parsed->LayerNames(1), Repeat({{"cluster0", 1}, {"cluster1", 1}, {"cluster4", 2}}));
  const json derived = json::parse(*text)["derived"];
  EXPECT_EQ(derived["per_layer"], true);
  EXPECT_EQ(derived["clusters"][0]["assigned_heads"], (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(derived["clusters"][2]["assigned_heads"], (std::vector<int64_t>{1, 2}));
}

TEST(RunDerivePatternsTest, OtherLayerCountsAndFewerHeadsThanClusters) {
  const Planted planted;
  DerivePatternsOptions o = planted.Options(TempPath("five.json"));
  o.layers = 5;
  o.heads = 2;
  testing::internal::CaptureStderr();
  ASSERT_TRUE(RunDerivePatterns(o).ok());
  const std::string log = testing::internal::GetCapturedStderr();
  absl::StatusOr<std::string> text = io::ReadFile(o.output);
  ASSERT_TRUE(text.ok());
  absl::StatusOr<model::HeadPatterns> parsed = model::ParsePatternFile(*text, o.output, 5, 2);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  // Quotas .67, .5, .83: the two heads to the two largest remainders; cluster 1 gets none.
  EXPECT_EQ(parsed->LayerNames(4), (std::vector<std::string>{"cluster0", "cluster4"}));
  const json root = json::parse(*text);
  EXPECT_FALSE(root["patterns"].contains("cluster1"));
  EXPECT_EQ(root["derived"]["clusters"][1]["assigned_heads"], (std::vector<int64_t>(5, 0)));
  ExpectHas(log, "derive_patterns: 2 heads for more clusters: cluster 1 gets no head (largest remainder)");
  // The table: a header and one row per cluster.
  ExpectHas(log, "cluster   heads  assigned  coverage      pairs of causal  pattern\n");
  ExpectHas(log, "\n1             3         0 ");
  ExpectHas(log, "derive_patterns: 5 layers x 2 heads compute ");
}

// One record of the .npy file at `path`.
io::NpyRecord ReadOneRecord(const std::string& path) {
  io::NpyRecord record;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  EXPECT_NE(f, nullptr) << path;
  if (f == nullptr) return record;
  io::NpyStreamReader reader(f, path);
  absl::StatusOr<bool> got = reader.Next(&record);
  EXPECT_TRUE(got.ok() && *got) << path;
  io::NpyRecord extra;
  absl::StatusOr<bool> more = reader.Next(&extra);
  EXPECT_TRUE(more.ok() && !*more) << path << " has more than one record";
  std::fclose(f);
  return record;
}

TEST(RunDerivePatternsTest, MeansAndMasksForFigures) {
  const Planted planted;
  DerivePatternsOptions o = planted.Options(TempPath("figures.json"));
  o.means = TempPath("means.npy");
  o.masks = TempPath("masks.npy");
  ASSERT_TRUE(RunDerivePatterns(o).ok());
  const json clusters = json::parse(*io::ReadFile(o.output))["derived"]["clusters"];
  const io::NpyRecord means = ReadOneRecord(o.means), masks = ReadOneRecord(o.masks);
  ASSERT_EQ(means.shape, (std::vector<int64_t>{3, kL, kL}));
  ASSERT_EQ(masks.shape, means.shape);
  // Heads per cluster (labels 0, 1, 4): layer 0 has 3, 2, 1, layer 1 has 1, 1, 4.
  const std::map<int64_t, int64_t> heads = {{0, 4}, {1, 3}, {4, 5}};
  for (int64_t c = 0; c < 3; ++c) {
    const int64_t label = clusters[c]["cluster"];
    const json& p = clusters[c]["pattern"];
    // The fitted pattern painted from its JSON form, by the rule of docs/design.md.
    std::vector<bool> column(kL, false);
    const int64_t stride = p.value("stride", 0);
    for (int64_t j = 0; j < kL; ++j) column[j] = stride > 0 && j % stride == 0;
    for (int64_t j : clusters[c]["anchor_columns"].get<std::vector<int64_t>>()) column[j] = true;
    const bool banded = p.contains("window");
    const int64_t window = banded ? p["window"].get<int64_t>() : 0;
    int64_t allowed = 0;
    for (int64_t i = 0; i < kL; ++i) {
      for (int64_t j = 0; j < kL; ++j) {
        const size_t at = (c * kL + i) * kL + j;
        const double mean = planted.sums.at(label)[i * kL + j] / (heads.at(label) * kSequences);
        EXPECT_NEAR(means.data[at], mean, 1e-6) << "cluster " << label << " (" << i << ", " << j << ")";
        const bool allows = j <= i && ((banded && (window == -1 || i - j <= window)) || column[j]);
        EXPECT_EQ(masks.data[at], allows ? 1.0f : 0.0f) << "cluster " << label << " (" << i << ", " << j << ")";
        allowed += allows;
      }
    }
    EXPECT_EQ(allowed, clusters[c]["pairs"]) << "cluster " << label;
  }
}

// A bad path for one array: nothing is written, the pattern file included.
TEST(RunDerivePatternsTest, AnUnwritableArrayLeavesNoOutput) {
  const Planted planted;
  DerivePatternsOptions o = planted.Options(TempPath("no_figures.json"));
  std::remove(o.output.c_str());
  o.means = TempPath("means_ok.npy");
  std::remove(o.means.c_str());
  o.masks = "/proc/no/such/masks.npy";
  EXPECT_FALSE(RunDerivePatterns(o).ok());
  EXPECT_NE(access(o.output.c_str(), F_OK), 0);
  EXPECT_NE(access(o.means.c_str(), F_OK), 0);
}

TEST(RunDerivePatternsTest, ResultDoesNotDependOnThreads) {
  const Planted planted;
  DerivePatternsOptions a = planted.Options(TempPath("one.json")), b = planted.Options(TempPath("two.json"));
  a.threads = 1;
  b.threads = 3;
  ASSERT_TRUE(RunDerivePatterns(a).ok());
  ASSERT_TRUE(RunDerivePatterns(b).ok());
  EXPECT_EQ(*io::ReadFile(a.output), *io::ReadFile(b.output));
}

TEST(RunDerivePatternsTest, BadOptionsAreInvalidArgument) {
  const Planted planted;
  auto code_and_message = [&](DerivePatternsOptions o) {
    const absl::Status s = RunDerivePatterns(o);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_NE(access(o.output.c_str(), F_OK), 0) << "left " << o.output;
    return std::string(s.message());
  };
  const std::string out = TempPath("bad.json");
  DerivePatternsOptions o = planted.Options(out);
  o.coverage = 0;
  ExpectHas(code_and_message(o), "`coverage`=0 must be in (0, 1]");
  o.coverage = 1.5;
  ExpectHas(code_and_message(o), "`coverage`=1.5 must be in (0, 1]");
  o = planted.Options(out);
  o.heads = 0;
  ExpectHas(code_and_message(o), "`heads`=0 must be >= 1");
  o = planted.Options(out);
  o.layers = -1;
  ExpectHas(code_and_message(o), "`layers`=-1");
  o = planted.Options(out);
  o.clusters = "";
  ExpectHas(code_and_message(o), "`clusters` is required");
  o = planted.Options(out);
  o.attention = o.clusters = "-";
  ExpectHas(code_and_message(o), "cannot both be stdin");
  o = planted.Options(out);
  o.per_layer = true;
  o.layers = 3;
  ExpectHas(code_and_message(o), "`layers`=3 with `per_layer`");
}

TEST(RunDerivePatternsTest, BadInputsLeaveNoOutput) {
  const Planted planted;
  const std::string out = TempPath("none.json");
  DerivePatternsOptions o = planted.Options(out);
  o.clusters = TempPath("short.csv");
  ASSERT_TRUE(io::WriteFileAtomically(o.clusters, "layer,head,cluster\n0,0,0\n").ok());
  absl::Status s = RunDerivePatterns(o);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  ExpectHas(std::string(s.message()), "dense.npy: layer 0 head 1, layer 0 head 2, layer 0 head 3 and 8 more not in ");
  EXPECT_NE(access(out.c_str(), F_OK), 0);
  o = planted.Options(out);
  o.attention = TempPath("zeros.npy");
  std::FILE* f = std::fopen(o.attention.c_str(), "wb");
  ASSERT_TRUE(io::WriteNpyRecord(f, std::vector<float>(2 * 6 * kL * kL, 0.0f).data(), {2, 6, kL, kL}).ok());
  std::fclose(f);
  s = RunDerivePatterns(o);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  ExpectHas(std::string(s.message()), "zeros.npy: cluster 0: no attention mass on or below the diagonal");
  EXPECT_NE(access(out.c_str(), F_OK), 0);
  o = planted.Options(out);
  o.attention = TempPath("missing.npy");
  EXPECT_FALSE(RunDerivePatterns(o).ok());
  EXPECT_NE(access(out.c_str(), F_OK), 0);
}

}  // namespace
}  // namespace attn::study
