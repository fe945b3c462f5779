#include "lib/model/head_patterns.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace attn::model {
namespace {

// Pattern name and count, in the order the default assignment hands them to heads.
using PatternCounts = std::vector<std::pair<std::string, int64_t>>;

const PatternCounts* DefaultCounts(int64_t heads) {
  static const auto* const kTable = new std::map<int64_t, PatternCounts>{
      {8, {{"local8", 1}, {"local16", 2}, {"strided", 3}, {"global", 2}}},
      {6, {{"local8", 1}, {"local16", 1}, {"strided", 2}, {"global", 2}}},
      {4, {{"local8", 1}, {"local16", 1}, {"strided", 1}, {"global", 1}}},
      {2, {{"local8", 1}, {"strided", 1}}},
      {1, {{"local8", 1}}},
  };
  const auto it = kTable->find(heads);
  return it == kTable->end() ? nullptr : &it->second;
}

}  // namespace

absl::StatusOr<HeadPatterns> HeadPatterns::Make(const std::vector<NamedPattern>& defined,
                                                const std::vector<std::vector<std::string>>& names) {
  std::map<std::string, AttentionPattern> known;
  for (const NamedPattern& p : defined) {
    if (p.name.empty()) return absl::InvalidArgumentError("a pattern needs a non-empty name");
    if (known.count(p.name)) {
      return absl::InvalidArgumentError(absl::StrCat("pattern \"", p.name, "\" is defined twice"));
    }
    if (absl::Status s = p.pattern.Validate(); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("pattern \"", p.name, "\": ", s.message()));
    }
    const std::optional<AttentionPattern> builtin = BuiltinPattern(p.name);
    if (builtin.has_value() && *builtin != p.pattern) {
      return absl::InvalidArgumentError(absl::StrCat("pattern \"", p.name, "\" redefines the built-in \"", p.name,
                                                     "\" (", DescribePattern(*builtin), "); give it another name"));
    }
    known[p.name] = p.pattern;
  }
  if (names.empty() || names[0].empty()) {
    return absl::InvalidArgumentError("the head assignment needs at least one layer of at least one head");
  }
  HeadPatterns result;
  std::map<std::string, int> index;
  for (size_t layer = 0; layer < names.size(); ++layer) {
    if (names[layer].size() != names[0].size()) {
      return absl::InvalidArgumentError(absl::StrCat("layer ", layer, " has ", names[layer].size(),
                                                     " heads and layer 0 has ", names[0].size()));
    }
    std::vector<int> heads;
    for (size_t head = 0; head < names[layer].size(); ++head) {
      const std::string& name = names[layer][head];
      auto it = index.find(name);
      if (it == index.end()) {
        std::optional<AttentionPattern> p;
        if (auto k = known.find(name); k != known.end()) p = k->second;
        if (!p.has_value()) p = BuiltinPattern(name);
        if (!p.has_value()) {
          std::vector<std::string> choices;
          for (const auto& [n, unused] : known) choices.push_back(n);
          for (const std::string& n : BuiltinPatternNames()) {
            if (!known.count(n)) choices.push_back(n);
          }
          return absl::InvalidArgumentError(absl::StrCat("layer ", layer, " head ", head, ": unknown pattern \"",
                                                         name, "\" (known: ", absl::StrJoin(choices, ", "), ")"));
        }
        if (!p->EveryQueryHasAKey()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "layer ", layer, " head ", head, ": pattern \"", name, "\" (", DescribePattern(*p),
              ") leaves the first query no key to attend to; give it a window, a stride or the anchor 0"));
        }
        it = index.emplace(name, static_cast<int>(result.patterns_.size())).first;
        result.patterns_.push_back({name, *p});
      }
      heads.push_back(it->second);
    }
    result.heads_.push_back(std::move(heads));
  }
  return result;
}

absl::StatusOr<HeadPatterns> HeadPatterns::SameEveryLayer(const std::vector<NamedPattern>& defined,
                                                          const std::vector<std::string>& names, int64_t layers) {
  if (layers < 1) return absl::InvalidArgumentError(absl::StrCat("layers = ", layers, " must be at least 1"));
  return Make(defined, std::vector<std::vector<std::string>>(layers, names));
}

const AttentionPattern& HeadPatterns::At(int64_t layer, int64_t head) const {
  return patterns_[heads_.at(layer).at(head)].pattern;
}

const std::string& HeadPatterns::NameAt(int64_t layer, int64_t head) const {
  return patterns_[heads_.at(layer).at(head)].name;
}

std::vector<AttentionPattern> HeadPatterns::Layer(int64_t layer) const {
  std::vector<AttentionPattern> out;
  for (const int i : heads_.at(layer)) out.push_back(patterns_[i].pattern);
  return out;
}

std::vector<std::string> HeadPatterns::LayerNames(int64_t layer) const {
  std::vector<std::string> out;
  for (const int i : heads_.at(layer)) out.push_back(patterns_[i].name);
  return out;
}

bool HeadPatterns::SameEveryLayer() const {
  return std::all_of(heads_.begin(), heads_.end(), [&](const std::vector<int>& h) { return h == heads_[0]; });
}

double HeadPatterns::PairFraction(int64_t seq_len) const {
  if (heads_.empty() || seq_len < 1) return 0;
  std::vector<int64_t> pairs;
  for (const NamedPattern& p : patterns_) pairs.push_back(PatternAtLength(p.pattern, seq_len).PairCount());
  double allowed = 0;
  for (const auto& layer : heads_) {
    for (const int i : layer) allowed += static_cast<double>(pairs[i]);
  }
  return allowed / (static_cast<double>(CausalPairCount(seq_len)) * layers() * heads());
}

bool HeadPatterns::operator==(const HeadPatterns& other) const {
  if (layers() != other.layers() || heads() != other.heads()) return false;
  for (int64_t l = 0; l < layers(); ++l) {
    for (int64_t h = 0; h < heads(); ++h) {
      if (NameAt(l, h) != other.NameAt(l, h) || At(l, h) != other.At(l, h)) return false;
    }
  }
  return true;
}

absl::StatusOr<std::vector<std::string>> DefaultHeadPatternNames(int64_t heads, const std::string& mask_subset) {
  const PatternCounts* defaults = DefaultCounts(heads);
  if (defaults == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no default attention pattern assignment for ", heads,
        " heads (defaults exist for 1, 2, 4, 6 and 8); give one pattern per head, e.g. head_patterns 0,3,1,2, "
        "or a pattern file"));
  }
  PatternCounts counts = *defaults;
  std::vector<std::string> listed;
  for (const char c : mask_subset) {
    const std::optional<std::string> name = PatternNameForDigit(c);
    if (!name.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("mask subset '", mask_subset, "' must be pattern digits 0-3, e.g. 03"));
    }
    listed.push_back(*name);
  }
  if (!mask_subset.empty()) {
    PatternCounts kept;
    int64_t used = 0;
    for (const auto& [name, n] : counts) {
      if (std::find(listed.begin(), listed.end(), name) == listed.end()) continue;
      kept.push_back({name, n});
      used += n;
    }
    if (kept.empty()) {
      kept = {{"local8", heads}};
    } else {
      for (int64_t freed = 0; used + freed < heads; ++freed) ++kept[freed % kept.size()].second;
    }
    counts = kept;
  }
  std::vector<std::string> names;
  for (const auto& [name, n] : counts) names.insert(names.end(), n, name);
  return names;
}

absl::StatusOr<std::vector<std::string>> ParseHeadPatternDigits(const std::string& spec, int64_t heads) {
  std::vector<std::string> names;
  for (absl::string_view field : absl::StrSplit(spec, ',')) {
    field = absl::StripAsciiWhitespace(field);
    const std::optional<std::string> name =
        field.size() == 1 ? PatternNameForDigit(field[0]) : std::nullopt;
    if (!name.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("head patterns '", spec,
                       "' must be comma-separated pattern digits 0-3, one per head, e.g. 0,3,1,2"));
    }
    names.push_back(*name);
  }
  if (static_cast<int64_t>(names.size()) != heads) {
    return absl::InvalidArgumentError(absl::StrCat("head patterns '", spec, "' give ", names.size(),
                                                   " patterns for ", heads, " heads; give exactly one per head"));
  }
  return names;
}

std::string FormatHeadPatternDigits(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    char digit = 0;
    for (const char c : {'0', '1', '2', '3'}) {
      if (PatternNameForDigit(c) == name) digit = c;
    }
    if (digit == 0) return "";
    if (!out.empty()) out += ',';
    out += digit;
  }
  return out;
}

}  // namespace attn::model
