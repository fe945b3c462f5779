// Attention patterns as data (docs/design.md, "Attention patterns"): which keys a query may
// attend to. A pattern is the union of a causal band |i - j| <= window, the columns
// j % stride == 0 and anchor columns at fractions r of the sequence
// (min(L-1, floor(r (L-1))), in double), always intersected with causality j <= i. A pattern
// with an unbounded window is full causal attention. Every consumer (masks, the kernel's
// block plan, pair counts, dump_attention, the pattern file) reads this one definition.
// No LibTorch here: the rules are plain integer predicates.
#ifndef ATTN_LIB_MODEL_ATTENTION_PATTERNS_H_
#define ATTN_LIB_MODEL_ATTENTION_PATTERNS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace attn::model {

// The window of a band that reaches every earlier key.
inline constexpr int64_t kUnboundedWindow = -1;

struct AttentionPattern {
  // The band |i - j| <= window; kUnboundedWindow for every earlier key; nullopt for no band.
  std::optional<int64_t> window;
  int64_t stride = 0;            // columns j % stride == 0; 0 for none
  std::vector<double> anchors;   // columns min(L-1, floor(r (L-1))) for r in [0, 1]

  // Full causal attention: every key j <= i (an unbounded window).
  bool IsDense() const { return window == kUnboundedWindow; }
  // Whether every query has a key at every length: a band gives the diagonal, a stride or the
  // anchor 0 gives column 0; otherwise the first query attends to nothing (a softmax of no
  // key is NaN), so a model cannot use the pattern.
  bool EveryQueryHasAKey() const;
  // window >= -1, stride >= 0, anchors finite in [0, 1]; the error names the field.
  absl::Status Validate() const;
  bool operator==(const AttentionPattern& other) const;
  bool operator!=(const AttentionPattern& other) const { return !(*this == other); }
};

// One-line description, e.g. "window 32 + stride 8", "stride 16 + 11 anchors", "dense".
std::string DescribePattern(const AttentionPattern& pattern);

// A pattern at one sequence length, with O(1) queries for loops over many pairs.
class PatternAtLength {
 public:
  PatternAtLength(const AttentionPattern& pattern, int64_t seq_len);

  int64_t seq_len() const { return seq_len_; }
  // The band's half-width: -1 when there is no band; seq_len - 1 when unbounded.
  int64_t band() const { return band_; }
  // Whether every query i >= j may attend to key j through a stride or anchor column.
  bool IsColumn(int64_t j) const { return j >= 0 && j < seq_len_ && column_[j]; }
  // Whether query i may attend to key j (false outside [0, seq_len) and for j > i).
  bool Allows(int64_t i, int64_t j) const {
    return i >= 0 && i < seq_len_ && j >= 0 && j <= i && (i - j <= band_ || column_[j]);
  }
  // The keys query i may attend to, ascending.
  std::vector<int64_t> Keys(int64_t i) const;
  // Allowed (query, key) pairs over all queries: the work a sparse kernel must do. O(L).
  int64_t PairCount() const;
  // The anchor columns, sorted and without duplicates.
  const std::vector<int64_t>& anchor_columns() const { return anchor_columns_; }

 private:
  int64_t seq_len_;
  int64_t band_;
  std::vector<uint8_t> column_;  // [seq_len]: stride or anchor column
  std::vector<int64_t> anchor_columns_;
};

// Causal pairs of a sequence: L (L + 1) / 2, what full attention computes.
int64_t CausalPairCount(int64_t seq_len);

// The built-in patterns by name: the original's four (local8 = window 8, local16 = window 16,
// strided = window 32 + stride 8, global = stride 16 + the anchors 0, .1, .2, .3, .382, .5,
// .618, .7, .8, .9, 1) and dense (an unbounded window). nullopt for other names.
std::optional<AttentionPattern> BuiltinPattern(const std::string& name);
// Their names, in the order above.
const std::vector<std::string>& BuiltinPatternNames();

// The original's pattern numbers (0 local8, 1 strided, 2 global, 3 local16), as
// --mask_subset and --head_patterns write them: the name for a digit, or nullopt.
std::optional<std::string> PatternNameForDigit(char digit);

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_ATTENTION_PATTERNS_H_
