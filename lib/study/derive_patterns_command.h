// The derive_patterns tool: from a dense model's attention stream and the clusters of its
// heads to a pattern file for a sparse model (docs/design.md, "The study").
//
// For every cluster it sums its heads' attention over all sequences and fits one pattern to
// that mean (FitPattern, derive_patterns.h). It then shares the sparse model's `heads` among
// the clusters in proportion to their sizes (ApportionHeads, apportion.h), the same in every
// one of `layers` layers, or layer by layer with `per_layer` (each layer's proportions from
// that layer's heads in the clustered model). Within a layer the heads go to the clusters in
// ascending label order, each cluster's heads side by side. With fewer heads than clusters
// some clusters get none (a line on stderr says which); their patterns are still reported.
//
// The output is a pattern file (lib/model/pattern_file.h) whose patterns are named
// "cluster<label>", with the report in its top-level field "derived":
//   {"coverage_target", "seq_len", "sequences", "layers", "heads", "per_layer",
//    "pair_fraction" (of the whole sparse model),
//    "clusters": [{"cluster", "heads": [[layer, head], ...], "pattern_name", "pattern",
//                  "pattern_text", "anchor_columns", "coverage", "pairs", "pair_fraction",
//                  "assigned_heads": [per layer]}, ...]}
// and the same report as a table on stderr.
//
// For figures, `means` and `masks` (optional) are .npy files of shape [clusters, L, L] in
// that order: each cluster's mean attention (its sum over heads and sequences, divided by
// their number) and its fitted pattern's mask (1 where allowed, 0 elsewhere).
#ifndef ATTN_LIB_STUDY_DERIVE_PATTERNS_COMMAND_H_
#define ATTN_LIB_STUDY_DERIVE_PATTERNS_COMMAND_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace attn::study {

struct DerivePatternsOptions {
  std::string attention = "-";  // the clustered model's attention stream; "-" is stdin
  std::string clusters;         // its clusters CSV (layer,head,...,cluster); "-" is stdin
  int64_t heads = 0;            // heads per layer of the sparse model, >= 1
  std::string output = "-";     // the pattern file; "-" is stdout
  double coverage = 0.9;        // share of each cluster's attention mass to keep, in (0, 1]
  bool per_layer = false;       // apportion layer by layer
  int64_t layers = 0;           // layers of the sparse model; 0: the stream's
  std::string means;            // when set, each cluster's mean attention (.npy)
  std::string masks;            // when set, each cluster's pattern mask (.npy)
  int threads = 1;
};

// Runs the tool. Bad options are InvalidArgument; bad inputs FailedPrecondition or DataLoss,
// naming the input. The output is written whole, and only when everything succeeded.
absl::Status RunDerivePatterns(const DerivePatternsOptions& options);

}  // namespace attn::study

#endif  // ATTN_LIB_STUDY_DERIVE_PATTERNS_COMMAND_H_
