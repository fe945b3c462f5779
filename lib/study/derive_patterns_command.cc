#include "lib/study/derive_patterns_command.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/analysis/parallel_for.h"
#include "lib/io/atomic_file.h"
#include "lib/io/csv.h"
#include "lib/io/npy.h"
#include "lib/model/head_patterns.h"
#include "lib/model/pattern_file.h"
#include "lib/runtime/option_names.h"
#include "lib/runtime/progress.h"
#include "lib/study/apportion.h"
#include "lib/study/cluster_attention.h"
#include "lib/study/derive_patterns.h"
#include "nlohmann/json.hpp"

namespace attn::study {
namespace {

using nlohmann::json;

absl::Status CheckOptions(const DerivePatternsOptions& o) {
  if (o.clusters.empty()) return absl::InvalidArgumentError(runtime::Opt("clusters") +
                                                                   " is required: the clusters CSV of the heads");
  if (o.attention == "-" && o.clusters == "-") {
    return absl::InvalidArgumentError(runtime::Opt("attention") + " and " + runtime::Opt("clusters") +
                                      " cannot both be stdin");
  }
  if (!(o.coverage > 0 && o.coverage <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat(runtime::Opt("coverage"), "=", o.coverage, " must be in (0, 1]"));
  }
  if (o.heads < 1) return absl::InvalidArgumentError(absl::StrCat(runtime::Opt("heads"), "=", o.heads, " must be >= 1"));
  if (o.layers < 0) {
    return absl::InvalidArgumentError(absl::StrCat(runtime::Opt("layers"), "=", o.layers, " must be >= 1, or 0 for the stream's"));
  }
  return absl::OkStatus();
}

// Bytes in the file at `path`, or 0 when unknown (stdin, a pipe).
int64_t FileSize(const std::string& path) {
  struct stat st;
  if (path == "-" || stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  return static_cast<int64_t>(st.st_size);
}

absl::StatusOr<ClusterAttention> ReadAttention(const DerivePatternsOptions& o, const HeadClusters& clusters,
                                               runtime::Progress* progress) {
  absl::StatusOr<FILE*> file = io::OpenForReading(o.attention);
  if (!file.ok()) return file.status();
  io::NpyStreamReader reader(*file, o.attention == "-" ? "stdin" : o.attention);
  SumOptions options;
  options.threads = o.threads;
  options.progress = progress;
  absl::StatusOr<ClusterAttention> sums = SumClusterAttention(&reader, clusters, options);
  if (*file != stdin) std::fclose(*file);
  return sums;
}

// The pattern file's own form of one pattern ({"window", "stride", "anchors"}), from its
// writer, so that the form has one definition.
json PatternObject(const std::string& name, const model::AttentionPattern& pattern) {
  absl::StatusOr<model::HeadPatterns> one = model::HeadPatterns::Make({{name, pattern}}, {{name}});
  return json::parse(model::PatternFileText(*one))["patterns"][name];
}

std::string PatternName(int64_t label) { return absl::StrCat("cluster", label); }

// The figures' arrays [clusters, L, L]: each cluster's mean attention, or its pattern's mask.
std::vector<float> ClusterMeans(const ClusterAttention& attention, const HeadClusters& clusters) {
  std::vector<float> means;
  for (size_t c = 0; c < attention.sums.size(); ++c) {
    const double n = static_cast<double>(clusters.members[c].size() * attention.sequences);
    for (double sum : attention.sums[c]) means.push_back(static_cast<float>(sum / n));
  }
  return means;
}

std::vector<float> PatternMasks(const std::vector<absl::StatusOr<PatternFit>>& fits, int64_t n) {
  std::vector<float> masks;
  for (const absl::StatusOr<PatternFit>& fit : fits) {
    const model::PatternAtLength at_length(fit->pattern, n);
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) masks.push_back(at_length.Allows(i, j) ? 1.0f : 0.0f);
    }
  }
  return masks;
}

}  // namespace

absl::Status RunDerivePatterns(const DerivePatternsOptions& o) {
  if (absl::Status s = CheckOptions(o); !s.ok()) return s;
  // Opened first, so that an unwritable output fails before the long read.
  absl::StatusOr<io::AtomicFile> out = io::AtomicFile::Open(o.output);
  if (!out.ok()) return out.status();
  absl::StatusOr<io::Table> table = io::ReadTable(o.clusters);
  if (!table.ok()) return table.status();
  absl::StatusOr<HeadClusters> clusters = ParseHeadClusters(*table);
  if (!clusters.ok()) return clusters.status();
  if (o.per_layer && o.layers > 0) {
    // Checked before the long read: the stream must have the CSV's layers (every head of one
    // is in the other), so the CSV tells the clustered model's layer count.
    int64_t clustered = 0;
    for (const auto& members : clusters->members) {
      for (const HeadId& h : members) clustered = std::max(clustered, h.layer + 1);
    }
    if (o.layers != clustered) {
      return absl::InvalidArgumentError(absl::StrCat(runtime::Opt("layers"), "=", o.layers, " with ", runtime::Opt("per_layer"),
                                                     ": each layer's heads ",
                                                     "follow the same layer of the clustered model, which has ",
                                                     clustered, " (", clusters->source, ")"));
    }
  }
  runtime::Progress progress("derive_patterns", FileSize(o.attention), "B");
  absl::StatusOr<ClusterAttention> attention = ReadAttention(o, *clusters, &progress);
  if (!attention.ok()) return attention.status();
  const int64_t layers = o.layers > 0 ? o.layers : attention->layers;
  const size_t k = clusters->labels.size();
  const int64_t n = attention->seq_len;

  // One fit per cluster, in parallel; each writes only its own result.
  std::vector<absl::StatusOr<PatternFit>> fits(k, absl::UnknownError("not fitted"));
  analysis::ParallelFor(static_cast<int64_t>(k), std::max(1, o.threads), [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) fits[c] = FitPattern(attention->sums[c], n, o.coverage);
  });
  for (size_t c = 0; c < k; ++c) {
    if (!fits[c].ok()) {
      return absl::FailedPreconditionError(absl::StrCat(o.attention == "-" ? "stdin" : o.attention, ": cluster ",
                                                        clusters->labels[c], ": ", fits[c].status().message()));
    }
  }

  // Heads per cluster in each layer of the sparse model.
  std::vector<std::vector<int64_t>> assigned;  // [layer][cluster]
  std::vector<std::string> notes;
  for (int64_t l = 0; l < layers; ++l) {
    if (!o.per_layer && l > 0) {
      assigned.push_back(assigned[0]);
      continue;
    }
    std::vector<int64_t> sizes(k, 0);
    for (size_t c = 0; c < k; ++c) {
      for (const HeadId& h : clusters->members[c]) sizes[c] += !o.per_layer || h.layer == l;
    }
    assigned.push_back(ApportionHeads(sizes, o.heads));
    std::vector<std::string> without;
    for (size_t c = 0; c < k; ++c) {
      if (sizes[c] > 0 && assigned.back()[c] == 0) without.push_back(absl::StrCat(clusters->labels[c]));
    }
    if (!without.empty()) {
      notes.push_back(absl::StrCat(o.heads, " heads for more clusters", o.per_layer ? absl::StrCat(" in layer ", l) : "",
                                   ": cluster", without.size() > 1 ? "s " : " ", absl::StrJoin(without, ", "),
                                   " get", without.size() > 1 ? "" : "s", " no head (largest remainder)"));
    }
  }
  std::vector<model::NamedPattern> defined;
  for (size_t c = 0; c < k; ++c) defined.push_back({PatternName(clusters->labels[c]), fits[c]->pattern});
  std::vector<std::vector<std::string>> names(layers);
  for (int64_t l = 0; l < layers; ++l) {
    for (size_t c = 0; c < k; ++c) names[l].insert(names[l].end(), assigned[l][c], defined[c].name);
  }
  absl::StatusOr<model::HeadPatterns> patterns = model::HeadPatterns::Make(defined, names);
  if (!patterns.ok()) return patterns.status();

  // The report.
  const int64_t causal = model::CausalPairCount(n);
  json report_clusters = json::array();
  std::string table_text = absl::StrFormat("%-8s %6s %9s %9s %10s %9s  %s\n", "cluster", "heads", "assigned",
                                           "coverage", "pairs", "of causal", "pattern");
  for (size_t c = 0; c < k; ++c) {
    const PatternFit& fit = *fits[c];
    json heads = json::array();
    for (const HeadId& h : clusters->members[c]) heads.push_back({h.layer, h.head});
    std::vector<int64_t> per_layer;
    for (int64_t l = 0; l < layers; ++l) per_layer.push_back(assigned[l][c]);
    const model::PatternAtLength at_length(fit.pattern, n);
    std::string text = model::DescribePattern(fit.pattern);
    if (!fit.pattern.anchors.empty()) {
      absl::StrAppend(&text, " (columns ", absl::StrJoin(at_length.anchor_columns(), ", "), ")");
    }
    const double fraction = static_cast<double>(fit.pairs) / static_cast<double>(causal);
    report_clusters.push_back({{"cluster", clusters->labels[c]},
                               {"heads", heads},
                               {"pattern_name", defined[c].name},
                               {"pattern", PatternObject(defined[c].name, fit.pattern)},
                               {"pattern_text", text},
                               {"anchor_columns", at_length.anchor_columns()},
                               {"coverage", fit.coverage},
                               {"pairs", fit.pairs},
                               {"pair_fraction", fraction},
                               {"assigned_heads", per_layer}});
    const std::string counts = o.per_layer ? absl::StrJoin(per_layer, ",") : absl::StrCat(per_layer[0]);
    absl::StrAppendFormat(&table_text, "%-8d %6d %9s %9.4f %10d %8.2f%%  %s\n", clusters->labels[c],
                          clusters->members[c].size(), counts, fit.coverage, fit.pairs, 100 * fraction, text);
  }
  const double model_fraction = patterns->PairFraction(n);
  json extra = {{"derived",
                 {{"coverage_target", o.coverage},
                  {"seq_len", n},
                  {"sequences", attention->sequences},
                  {"layers", layers},
                  {"heads", o.heads},
                  {"per_layer", o.per_layer},
                  {"pair_fraction", model_fraction},
                  {"clusters", report_clusters}}}};

  // Every output is written before any is renamed into place.
  std::vector<io::AtomicFile> arrays;
  const std::vector<int64_t> shape = {static_cast<int64_t>(k), n, n};
  auto write_array = [&](const std::string& path, const std::vector<float>& values) -> absl::Status {
    absl::StatusOr<io::AtomicFile> array = io::AtomicFile::Open(path);
    if (!array.ok()) return array.status();
    if (absl::Status s = io::WriteNpyRecord(*array, values.data(), shape); !s.ok()) return s;
    arrays.push_back(*std::move(array));
    return absl::OkStatus();
  };
  if (!o.means.empty()) {
    if (absl::Status s = write_array(o.means, ClusterMeans(*attention, *clusters)); !s.ok()) return s;
  }
  if (!o.masks.empty()) {
    if (absl::Status s = write_array(o.masks, PatternMasks(fits, n)); !s.ok()) return s;
  }
  if (absl::Status s = out->Write(model::PatternFileText(*patterns, extra) + "\n"); !s.ok()) return s;
  for (io::AtomicFile& array : arrays) {
    if (absl::Status s = array.Commit(); !s.ok()) return s;
  }
  if (absl::Status s = out->Commit(); !s.ok()) return s;
  // After the output is committed, so that a failed run's only line is its error.
  progress.Finish(absl::StrCat(attention->sequences, " sequences of ", attention->seq_len));

  std::fprintf(stderr, "derive_patterns: %lld heads (%lld layers x %lld) in %zu clusters, %lld sequences of %lld, "
               "coverage target %g\n%s",
               static_cast<long long>(attention->layers * attention->heads), static_cast<long long>(attention->layers),
               static_cast<long long>(attention->heads), k, static_cast<long long>(attention->sequences),
               static_cast<long long>(n), o.coverage, table_text.c_str());
  for (const std::string& note : notes) std::fprintf(stderr, "derive_patterns: %s\n", note.c_str());
  std::fprintf(stderr, "derive_patterns: %lld layers x %lld heads compute %.2f%% of causal attention's pairs at %lld\n",
               static_cast<long long>(layers), static_cast<long long>(o.heads), 100 * model_fraction,
               static_cast<long long>(n));
  return absl::OkStatus();
}

}  // namespace attn::study
