// The clustered heads' attention: which heads of a model form which cluster (the clusters
// CSV: layer,head,...,cluster), and each cluster's attention summed over its heads and every
// sequence of the model's attention stream (docs/design.md, "Formats between tools").
#ifndef ATTN_LIB_STUDY_CLUSTER_ATTENTION_H_
#define ATTN_LIB_STUDY_CLUSTER_ATTENTION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/io/csv.h"
#include "lib/io/npy.h"
#include "lib/runtime/progress.h"

namespace attn::study {

struct HeadId {
  int64_t layer = 0;
  int64_t head = 0;
  bool operator==(const HeadId& o) const { return layer == o.layer && head == o.head; }
};

struct HeadClusters {
  std::vector<int64_t> labels;               // the distinct cluster labels, ascending
  std::vector<std::vector<HeadId>> members;  // per label, its heads, layer-major
  std::string source;                        // the CSV, for errors
};

// Reads the integer columns layer, head (0-based) and cluster of `table`; other columns are
// ignored. A missing column, a cell that is not an integer (negative for layer or head), a
// head listed twice or no rows at all is FailedPrecondition naming the source and line.
absl::StatusOr<HeadClusters> ParseHeadClusters(const io::Table& table);

struct ClusterAttention {
  int64_t layers = 0;     // of the stream's records [layers, heads, L, L]
  int64_t heads = 0;
  int64_t seq_len = 0;    // L
  int64_t sequences = 0;  // records read
  // Per cluster (in HeadClusters order), row-major [L, L]: the attention of its heads summed
  // over heads and sequences, in double, lower triangle (the upper one is zero).
  std::vector<std::vector<double>> sums;
};

struct SumOptions {
  int threads = 1;
  runtime::Progress* progress = nullptr;  // told the bytes read, when set
};

// Reads every record of `reader` once, adding each head's matrix to its cluster's sum. Every
// record must have the first one's shape [layers, heads, L, L]; every head of it must be in
// exactly one cluster and every clustered head in the stream. Entries must be finite and
// non-negative, and zero above the diagonal (causal attention). Errors are FailedPrecondition
// naming the stream (and the record, layer, head and entry) or the CSV. The sums do not depend
// on `threads`.
absl::StatusOr<ClusterAttention> SumClusterAttention(io::NpyStreamReader* reader, const HeadClusters& clusters,
                                                     const SumOptions& options);

}  // namespace attn::study

#endif  // ATTN_LIB_STUDY_CLUSTER_ATTENTION_H_
