#include "lib/model/attention_patterns.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace attn::model {
namespace {

constexpr double kAnchorFractions[] = {0.0, 0.1, 0.2, 0.3, 0.382, 0.5, 0.618, 0.7, 0.8, 0.9, 1.0};

bool ParsePatternDigit(char c, AttentionPattern* p) {
  if (c < '0' || c > '3') return false;
  *p = static_cast<AttentionPattern>(c - '0');
  return true;
}

// Pattern and count, in the order the default assignment hands them to heads.
using PatternCounts = std::vector<std::pair<AttentionPattern, int64_t>>;

bool DefaultCounts(int64_t heads, PatternCounts* counts) {
  using P = AttentionPattern;
  static const auto* const kTable = new std::map<int64_t, PatternCounts>{
      {8, {{P::kLocal, 1}, {P::kWideLocal, 2}, {P::kStrided, 3}, {P::kGlobal, 2}}},
      {6, {{P::kLocal, 1}, {P::kWideLocal, 1}, {P::kStrided, 2}, {P::kGlobal, 2}}},
      {4, {{P::kLocal, 1}, {P::kWideLocal, 1}, {P::kStrided, 1}, {P::kGlobal, 1}}},
      {2, {{P::kLocal, 1}, {P::kStrided, 1}}},
      {1, {{P::kLocal, 1}}},
  };
  const auto it = kTable->find(heads);
  if (it == kTable->end()) return false;
  *counts = it->second;
  return true;
}

}  // namespace

int64_t PatternBandWidth(AttentionPattern p) {
  switch (p) {
    case AttentionPattern::kLocal:
      return 8;
    case AttentionPattern::kWideLocal:
      return 16;
    case AttentionPattern::kStrided:
      return 32;
    case AttentionPattern::kGlobal:
      return -1;
  }
  return -1;
}

int64_t PatternColumnStride(AttentionPattern p, int64_t seq_len) {
  if (p == AttentionPattern::kStrided && seq_len >= 8) return 8;
  if (p == AttentionPattern::kGlobal && seq_len >= 16) return 16;
  return 0;
}

std::vector<int64_t> GlobalAnchors(int64_t seq_len) {
  std::vector<int64_t> anchors;
  if (seq_len < 1) return anchors;
  for (const double r : kAnchorFractions) {
    const auto a = static_cast<int64_t>(std::floor(r * static_cast<double>(seq_len - 1)));
    anchors.push_back(std::min(seq_len - 1, a));
  }
  std::sort(anchors.begin(), anchors.end());
  anchors.erase(std::unique(anchors.begin(), anchors.end()), anchors.end());
  return anchors;
}

bool PatternAllows(AttentionPattern p, int64_t i, int64_t j, int64_t seq_len) {
  if (i < 0 || j < 0 || i >= seq_len || j > i) return false;
  const int64_t band = PatternBandWidth(p);
  if (band >= 0 && i - j <= band) return true;
  const int64_t stride = PatternColumnStride(p, seq_len);
  if (stride > 0 && j % stride == 0) return true;
  if (p != AttentionPattern::kGlobal) return false;
  const std::vector<int64_t> anchors = GlobalAnchors(seq_len);
  return std::binary_search(anchors.begin(), anchors.end(), j);
}

std::vector<int64_t> AllowedKeys(AttentionPattern p, int64_t i, int64_t seq_len) {
  std::vector<int64_t> keys;
  if (i < 0 || i >= seq_len) return keys;
  const int64_t band = PatternBandWidth(p);
  const int64_t stride = PatternColumnStride(p, seq_len);
  const std::vector<int64_t> anchors =
      p == AttentionPattern::kGlobal ? GlobalAnchors(seq_len) : std::vector<int64_t>();
  for (int64_t j = 0; j <= i; ++j) {
    if ((band >= 0 && i - j <= band) || (stride > 0 && j % stride == 0) ||
        std::binary_search(anchors.begin(), anchors.end(), j)) {
      keys.push_back(j);
    }
  }
  return keys;
}

int64_t AllowedPairCount(AttentionPattern p, int64_t seq_len) {
  int64_t count = 0;
  for (int64_t i = 0; i < seq_len; ++i) count += AllowedKeys(p, i, seq_len).size();
  return count;
}

absl::StatusOr<std::vector<AttentionPattern>> AssignHeadPatterns(int64_t heads,
                                                                 const std::string& mask_subset) {
  PatternCounts counts;
  if (!DefaultCounts(heads, &counts)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no default attention pattern assignment for ", heads,
        " heads (defaults exist for 1, 2, 4, 6 and 8); give one pattern digit per head, "
        "e.g. --head_patterns=0,3,1,2"));
  }
  bool listed[4] = {false, false, false, false};
  for (const char c : mask_subset) {
    AttentionPattern p;
    if (!ParsePatternDigit(c, &p)) {
      return absl::InvalidArgumentError(absl::StrCat("mask subset '", mask_subset,
                                                     "' must be pattern digits 0-3, e.g. 03"));
    }
    listed[static_cast<int>(p)] = true;
  }
  if (!mask_subset.empty()) {
    PatternCounts kept;
    int64_t used = 0;
    for (const auto& [p, n] : counts) {
      if (!listed[static_cast<int>(p)]) continue;
      kept.push_back({p, n});
      used += n;
    }
    if (kept.empty()) {
      kept = {{AttentionPattern::kLocal, heads}};
    } else {
      for (int64_t freed = 0; used + freed < heads; ++freed) ++kept[freed % kept.size()].second;
    }
    counts = kept;
  }
  std::vector<AttentionPattern> patterns;
  for (const auto& [p, n] : counts) patterns.insert(patterns.end(), n, p);
  return patterns;
}

absl::StatusOr<std::vector<AttentionPattern>> ParseHeadPatterns(const std::string& spec,
                                                                int64_t heads) {
  std::vector<AttentionPattern> patterns;
  for (absl::string_view field : absl::StrSplit(spec, ',')) {
    field = absl::StripAsciiWhitespace(field);
    AttentionPattern p;
    if (field.size() != 1 || !ParsePatternDigit(field[0], &p)) {
      return absl::InvalidArgumentError(
          absl::StrCat("head patterns '", spec,
                       "' must be comma-separated pattern digits 0-3, one per head, e.g. 0,3,1,2"));
    }
    patterns.push_back(p);
  }
  if (static_cast<int64_t>(patterns.size()) != heads) {
    return absl::InvalidArgumentError(absl::StrCat("head patterns '", spec, "' give ",
                                                   patterns.size(), " patterns for ", heads,
                                                   " heads; give exactly one per head"));
  }
  return patterns;
}

std::string FormatHeadPatterns(const std::vector<AttentionPattern>& patterns) {
  return absl::StrJoin(patterns, ",", [](std::string* out, AttentionPattern p) {
    absl::StrAppend(out, static_cast<int>(p));
  });
}

}  // namespace attn::model
