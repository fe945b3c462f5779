// Which attention pattern each head of each layer uses: named patterns and their assignment
// to heads, layer by layer. The original's default assignments and the --mask_subset and
// --head_patterns forms (pattern digits) resolve to this too.
#ifndef ATTN_LIB_MODEL_HEAD_PATTERNS_H_
#define ATTN_LIB_MODEL_HEAD_PATTERNS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/model/attention_patterns.h"

namespace attn::model {

struct NamedPattern {
  std::string name;
  AttentionPattern pattern;
};

class HeadPatterns {
 public:
  HeadPatterns() = default;

  // `names[layer][head]` names a pattern of `defined` or a built-in (defined ones first).
  // Every layer needs the same number of heads (at least one); patterns must be valid and
  // their names unique; a defined pattern may not redefine a built-in differently; a pattern
  // in use must give every query a key (AttentionPattern::EveryQueryHasAKey). Only the
  // patterns some head uses are kept. Errors name the layer and head, or the pattern.
  static absl::StatusOr<HeadPatterns> Make(const std::vector<NamedPattern>& defined,
                                           const std::vector<std::vector<std::string>>& names);
  // The same list of names for each of `layers` layers.
  static absl::StatusOr<HeadPatterns> SameEveryLayer(const std::vector<NamedPattern>& defined,
                                                     const std::vector<std::string>& names,
                                                     int64_t layers);

  bool empty() const { return heads_.empty(); }
  int64_t layers() const { return static_cast<int64_t>(heads_.size()); }
  int64_t heads() const { return heads_.empty() ? 0 : static_cast<int64_t>(heads_[0].size()); }
  const AttentionPattern& At(int64_t layer, int64_t head) const;
  const std::string& NameAt(int64_t layer, int64_t head) const;
  // Layer `layer`'s patterns, one per head.
  std::vector<AttentionPattern> Layer(int64_t layer) const;
  std::vector<std::string> LayerNames(int64_t layer) const;
  bool SameEveryLayer() const;
  // The distinct patterns in use, in order of first use.
  const std::vector<NamedPattern>& patterns() const { return patterns_; }
  // Allowed pairs of all heads over their causal pairs at `seq_len`: the fraction of full
  // causal attention's work that these patterns compute.
  double PairFraction(int64_t seq_len) const;
  bool operator==(const HeadPatterns& other) const;

 private:
  std::vector<NamedPattern> patterns_;
  std::vector<std::vector<int>> heads_;  // [layer][head] -> index into patterns_
};

// The original's default assignment for 1, 2, 4, 6 or 8 heads (8: local8 | local16 x2 |
// strided x3 | global x2), as pattern names, with the --mask_subset ablation: "" keeps all
// patterns; otherwise a string of pattern digits (e.g. "03") keeps only those patterns with
// their default counts and hands the freed heads out round-robin over the kept ones; when
// none of the listed patterns is in the default assignment, every head gets local8. Other
// head counts or bad digits: InvalidArgument.
absl::StatusOr<std::vector<std::string>> DefaultHeadPatternNames(int64_t heads, const std::string& mask_subset);

// An explicit assignment, one pattern digit per head separated by commas ("0,3,3,1,1,1,2,2"),
// as names. Wrong count or a bad digit: InvalidArgument.
absl::StatusOr<std::vector<std::string>> ParseHeadPatternDigits(const std::string& spec, int64_t heads);

// "0,3,3,1,1,1,2,2" for names that all have a digit; "" otherwise.
std::string FormatHeadPatternDigits(const std::vector<std::string>& names);

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_HEAD_PATTERNS_H_
