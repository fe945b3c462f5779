// The sparse model's four attention patterns and their assignment to heads (DESIGN.md
// section 4). No LibTorch here: the rules are plain integer predicates.
#ifndef ATTN_LIB_MODEL_ATTENTION_PATTERNS_H_
#define ATTN_LIB_MODEL_ATTENTION_PATTERNS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace attn::model {

// DESIGN.md numbering.
enum class AttentionPattern : int { kLocal = 0, kStrided = 1, kGlobal = 2, kWideLocal = 3 };

// Band half-width of the local part: 8 (kLocal), 16 (kWideLocal), 32 (kStrided), and -1 for
// kGlobal, which has no band.
int64_t PatternBandWidth(AttentionPattern p);

// Column stride whose multiples every later query may attend to: 8 for kStrided when
// seq_len >= 8, 16 for kGlobal when seq_len >= 16, otherwise 0 (none).
int64_t PatternColumnStride(AttentionPattern p, int64_t seq_len);

// The global pattern's anchor columns min(L-1, floor(r (L-1))), r in {0, .1, ..., .382, ...,
// .618, ..., 1}, computed in double; sorted, without duplicates. Empty for seq_len < 1.
std::vector<int64_t> GlobalAnchors(int64_t seq_len);

// Whether query i may attend to key j in a sequence of seq_len; includes causality j <= i.
// Calls GlobalAnchors for kGlobal, so loops over many pairs should use AllowedKeys instead.
bool PatternAllows(AttentionPattern p, int64_t i, int64_t j, int64_t seq_len);

// The keys query i may attend to, ascending (every j with PatternAllows(p, i, j, seq_len)).
std::vector<int64_t> AllowedKeys(AttentionPattern p, int64_t i, int64_t seq_len);

// Number of allowed (query, key) pairs of one head: the work a sparse kernel must do.
int64_t AllowedPairCount(AttentionPattern p, int64_t seq_len);

// Default assignment for 1, 2, 4, 6 or 8 heads, with the --mask_subset ablation: "" keeps
// all patterns; otherwise a string of pattern digits (e.g. "03") keeps only those patterns
// with their default counts and hands the freed heads out round-robin over the kept ones;
// when none of the listed patterns is in the default assignment, every head gets pattern 0.
// Other head counts or bad digits: InvalidArgument.
absl::StatusOr<std::vector<AttentionPattern>> AssignHeadPatterns(int64_t heads,
                                                                 const std::string& mask_subset);

// Explicit assignment, one pattern digit per head separated by commas ("0,3,3,1,1,1,2,2").
// Wrong count or a bad digit: InvalidArgument.
absl::StatusOr<std::vector<AttentionPattern>> ParseHeadPatterns(const std::string& spec,
                                                                int64_t heads);

// "0,3,3,1,1,1,2,2": the form ParseHeadPatterns reads, for metadata and logs.
std::string FormatHeadPatterns(const std::vector<AttentionPattern>& patterns);

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_ATTENTION_PATTERNS_H_
