#include "lib/study/cluster_attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <new>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/analysis/parallel_for.h"

namespace attn::study {
namespace {

std::string ShapeText(const std::vector<int64_t>& shape) { return absl::StrCat("[", absl::StrJoin(shape, ", "), "]"); }

// A bad entry of one head matrix: its position, or none.
struct BadEntry {
  int64_t i = -1, j = -1;
  float value = 0;
};

// Checks rows [begin, end) of `matrix` and adds their lower triangle to `sum`; the first bad
// entry in row order stops the rows.
BadEntry AddRows(const float* matrix, int64_t n, int64_t begin, int64_t end, double* sum) {
  for (int64_t i = begin; i < end; ++i) {
    const float* row = matrix + i * n;
    double* out = sum + i * n;
    for (int64_t j = 0; j < n; ++j) {
      const float x = row[j];
      if (!(x >= 0) || x > std::numeric_limits<float>::max() || (j > i && x != 0)) return {i, j, x};
      if (j <= i) out[j] += x;
    }
  }
  return {};
}

}  // namespace

absl::StatusOr<HeadClusters> ParseHeadClusters(const io::Table& table) {
  const std::string& source = table.source;
  std::vector<int> columns;
  for (const char* name : {"layer", "head", "cluster"}) {
    absl::StatusOr<int> c = table.ColumnIndex(name);
    if (!c.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(c.status().message(), "; expected the clusters CSV (layer,head,...,cluster)"));
    }
    columns.push_back(*c);
  }
  if (table.rows.empty()) return absl::FailedPreconditionError(source + ": no rows; expected one row per head");
  std::map<int64_t, std::vector<HeadId>> by_label;
  std::map<std::pair<int64_t, int64_t>, size_t> seen;  // (layer, head) -> line
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const size_t line = r + 2;
    int64_t v[3];
    for (int k = 0; k < 3; ++k) {
      const std::string& cell = table.rows[r][columns[k]];
      if (!absl::SimpleAtoi(cell, &v[k]) || (k < 2 && v[k] < 0)) {
        return absl::FailedPreconditionError(absl::StrCat(source, ": line ", line, ", column '",
                                                          table.header[columns[k]], "': '", cell, "' is not ",
                                                          k < 2 ? "a 0-based index" : "an integer cluster label"));
      }
    }
    const auto [it, fresh] = seen.emplace(std::make_pair(v[0], v[1]), line);
    if (!fresh) {
      return absl::FailedPreconditionError(absl::StrCat(source, ": line ", line, ": layer ", v[0], " head ", v[1],
                                                        " is listed again (first on line ", it->second, ")"));
    }
    by_label[v[2]].push_back({v[0], v[1]});
  }
  HeadClusters clusters;
  clusters.source = source;
  for (auto& [label, heads] : by_label) {
    std::sort(heads.begin(), heads.end(),
              [](const HeadId& a, const HeadId& b) { return a.layer != b.layer ? a.layer < b.layer : a.head < b.head; });
    clusters.labels.push_back(label);
    clusters.members.push_back(std::move(heads));
  }
  return clusters;
}

absl::StatusOr<ClusterAttention> SumClusterAttention(io::NpyStreamReader* reader, const HeadClusters& clusters,
                                                     const SumOptions& options) {
  const std::string& source = reader->source_name();
  io::NpyHeader header;
  absl::StatusOr<bool> more = reader->NextHeader(&header);
  if (!more.ok()) return more.status();
  if (!*more) return absl::FailedPreconditionError(source + ": no records; expected an attention stream");
  const std::vector<int64_t> shape = header.shape;
  if (shape.size() != 4 || shape[2] != shape[3] || shape[0] < 1 || shape[1] < 1 || shape[2] < 1) {
    return absl::FailedPreconditionError(absl::StrCat(source, ": record 0 has shape ", ShapeText(shape),
                                                      "; expected [layers, heads, L, L] attention"));
  }
  ClusterAttention result;
  result.layers = shape[0];
  result.heads = shape[1];
  result.seq_len = shape[2];
  const int64_t n = result.seq_len, matrices = result.layers * result.heads;

  // Which cluster each matrix of a record adds to.
  std::vector<int> cluster_of(static_cast<size_t>(matrices), -1);
  for (size_t k = 0; k < clusters.members.size(); ++k) {
    for (const HeadId& h : clusters.members[k]) {
      if (h.layer >= result.layers || h.head >= result.heads) {
        return absl::FailedPreconditionError(absl::StrCat(
            clusters.source, ": layer ", h.layer, " head ", h.head, " is not in ", source, " (", result.layers,
            " layers of ", result.heads, " heads); give the clusters of the model that wrote this stream"));
      }
      cluster_of[h.layer * result.heads + h.head] = static_cast<int>(k);
    }
  }
  std::vector<std::string> missing;
  for (int64_t m = 0; m < matrices; ++m) {
    if (cluster_of[m] < 0) missing.push_back(absl::StrCat("layer ", m / result.heads, " head ", m % result.heads));
  }
  if (!missing.empty()) {
    const size_t shown = std::min<size_t>(missing.size(), 3);
    return absl::FailedPreconditionError(absl::StrCat(
        source, ": ", absl::StrJoin(missing.begin(), missing.begin() + shown, ", "),
        missing.size() > shown ? absl::StrCat(" and ", missing.size() - shown, " more") : "", " not in ",
        clusters.source, "; give the clusters of every head of this stream's model"));
  }

  std::vector<float> matrix;
  try {
    matrix.resize(static_cast<size_t>(n * n));
    result.sums.assign(clusters.members.size(), std::vector<double>(static_cast<size_t>(n * n), 0.0));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrCat(source, ": cannot hold ", clusters.members.size(),
                                                     " cluster sums of ", n, " x ", n, " doubles"));
  }
  const int threads = std::max(1, options.threads);
  std::vector<BadEntry> bad(static_cast<size_t>(threads));
  for (int64_t record = 0;; ++record) {
    if (record > 0) {
      more = reader->NextHeader(&header);
      if (!more.ok()) return more.status();
      if (!*more) break;
      if (header.shape != shape) {
        return absl::FailedPreconditionError(absl::StrCat(source, ": record ", record, " has shape ",
                                                          ShapeText(header.shape), " but record 0 has ",
                                                          ShapeText(shape), "; records must all have the same shape"));
      }
    }
    for (int64_t m = 0; m < matrices; ++m) {
      if (absl::Status s = reader->ReadData(matrix.data(), n * n); !s.ok()) return s;
      double* sum = result.sums[cluster_of[m]].data();
      // Row chunks fixed by (n, threads): each writes its own rows, so the sums do not
      // depend on the thread count.
      const int64_t chunks = std::min<int64_t>(threads, n);
      analysis::ParallelFor(chunks, threads, [&](int64_t begin, int64_t end) {
        for (int64_t c = begin; c < end; ++c) bad[c] = AddRows(matrix.data(), n, n * c / chunks, n * (c + 1) / chunks, sum);
      });
      for (int64_t c = 0; c < chunks; ++c) {
        if (bad[c].i < 0) continue;
        const BadEntry& e = bad[c];
        return absl::FailedPreconditionError(absl::StrCat(
            source, ": record ", record, ", layer ", m / result.heads, ", head ", m % result.heads, ": entry [", e.i,
            ", ", e.j, "] is ", e.value,
            e.j > e.i ? "; expected causal attention (zero above the diagonal)"
                      : "; attention must be finite and non-negative"));
      }
      if (options.progress != nullptr) options.progress->Update(reader->bytes_read());
    }
    result.sequences = record + 1;
  }
  return result;
}

}  // namespace attn::study
