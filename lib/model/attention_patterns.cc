#include "lib/model/attention_patterns.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"

namespace attn::model {
namespace {

const std::vector<double>& OriginalAnchors() {
  static const auto* anchors =
      new std::vector<double>{0.0, 0.1, 0.2, 0.3, 0.382, 0.5, 0.618, 0.7, 0.8, 0.9, 1.0};
  return *anchors;
}

// Name -> pattern, in BuiltinPatternNames() order.
const std::vector<std::pair<std::string, AttentionPattern>>& Builtins() {
  static const auto* builtins = new std::vector<std::pair<std::string, AttentionPattern>>{
      {"local8", {8, 0, {}}},
      {"local16", {16, 0, {}}},
      {"strided", {32, 8, {}}},
      {"global", {std::nullopt, 16, OriginalAnchors()}},
      {"dense", {kUnboundedWindow, 0, {}}},
  };
  return *builtins;
}

}  // namespace

absl::Status AttentionPattern::Validate() const {
  if (window.has_value() && *window < kUnboundedWindow) {
    return absl::InvalidArgumentError(
        absl::StrCat("window = ", *window, " must be >= 0, or -1 for unbounded"));
  }
  if (stride < 0) return absl::InvalidArgumentError(absl::StrCat("stride = ", stride, " must be >= 0"));
  for (size_t k = 0; k < anchors.size(); ++k) {
    if (!(anchors[k] >= 0.0 && anchors[k] <= 1.0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("anchors[", k, "] = ", anchors[k], " must be a fraction in [0, 1]"));
    }
  }
  return absl::OkStatus();
}

bool AttentionPattern::EveryQueryHasAKey() const {
  return window.has_value() || stride > 0 || std::find(anchors.begin(), anchors.end(), 0.0) != anchors.end();
}

bool AttentionPattern::operator==(const AttentionPattern& other) const {
  return window == other.window && stride == other.stride && anchors == other.anchors;
}

std::string DescribePattern(const AttentionPattern& p) {
  if (p.IsDense()) return "dense";
  std::vector<std::string> parts;
  if (p.window.has_value()) parts.push_back(absl::StrCat("window ", *p.window));
  if (p.stride > 0) parts.push_back(absl::StrCat("stride ", p.stride));
  if (!p.anchors.empty()) {
    parts.push_back(absl::StrCat(p.anchors.size(), p.anchors.size() == 1 ? " anchor" : " anchors"));
  }
  if (parts.empty()) return "nothing (no band, stride or anchor)";
  std::string s = parts[0];
  for (size_t k = 1; k < parts.size(); ++k) absl::StrAppend(&s, " + ", parts[k]);
  return s;
}

PatternAtLength::PatternAtLength(const AttentionPattern& p, int64_t seq_len)
    : seq_len_(std::max<int64_t>(seq_len, 0)), column_(seq_len_, 0) {
  band_ = !p.window.has_value() ? -1 : p.IsDense() ? std::max<int64_t>(seq_len_ - 1, 0)
                                                   : std::min(*p.window, std::max<int64_t>(seq_len_ - 1, 0));
  if (p.stride > 0) {
    for (int64_t j = 0; j < seq_len_; j += p.stride) column_[j] = 1;
  }
  if (seq_len_ > 0) {
    for (const double r : p.anchors) {
      const auto a = static_cast<int64_t>(std::floor(r * static_cast<double>(seq_len_ - 1)));
      anchor_columns_.push_back(std::min(seq_len_ - 1, a));
    }
  }
  std::sort(anchor_columns_.begin(), anchor_columns_.end());
  anchor_columns_.erase(std::unique(anchor_columns_.begin(), anchor_columns_.end()), anchor_columns_.end());
  for (const int64_t a : anchor_columns_) column_[a] = 1;
}

std::vector<int64_t> PatternAtLength::Keys(int64_t i) const {
  std::vector<int64_t> keys;
  if (i < 0 || i >= seq_len_) return keys;
  const int64_t band_begin = band_ >= 0 ? std::max<int64_t>(0, i - band_) : i + 1;
  for (int64_t j = 0; j < band_begin; ++j) {
    if (column_[j]) keys.push_back(j);
  }
  for (int64_t j = band_begin; j <= i; ++j) keys.push_back(j);
  return keys;
}

int64_t PatternAtLength::PairCount() const {
  // Row i: its band [max(0, i - band), i], plus the columns below the band.
  int64_t pairs = 0, columns_below = 0;  // columns j < i - band
  for (int64_t i = 0; i < seq_len_; ++i) {
    const int64_t band_begin = band_ >= 0 ? std::max<int64_t>(0, i - band_) : i + 1;
    if (band_ >= 0) {
      if (i - band_ - 1 >= 0 && column_[i - band_ - 1]) ++columns_below;
    } else if (column_[i]) {
      ++columns_below;  // with no band, column i is "below" row i's (empty) band
    }
    pairs += (i + 1 - band_begin) + columns_below;
  }
  return pairs;
}

int64_t CausalPairCount(int64_t seq_len) { return seq_len * (seq_len + 1) / 2; }

std::optional<AttentionPattern> BuiltinPattern(const std::string& name) {
  for (const auto& [n, p] : Builtins()) {
    if (n == name) return p;
  }
  return std::nullopt;
}

const std::vector<std::string>& BuiltinPatternNames() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>;
    for (const auto& [n, p] : Builtins()) v->push_back(n);
    return v;
  }();
  return *names;
}

std::optional<std::string> PatternNameForDigit(char digit) {
  static const auto* kDigits =
      new std::map<char, std::string>{{'0', "local8"}, {'1', "strided"}, {'2', "global"}, {'3', "local16"}};
  const auto it = kDigits->find(digit);
  if (it == kDigits->end()) return std::nullopt;
  return it->second;
}

}  // namespace attn::model
