// Configurations as checkpoint metadata (strings), written once for every model kind: a
// configuration is a table of fields (metadata key, member, allowed range, whether older
// checkpoints may lack it), and validation and the round trip through metadata are generic.
// Every number is parsed with a checked parser and range-checked before anything is built
// from it, so hostile metadata is an error, never a crash or a huge allocation.
#ifndef ATTN_LIB_MODEL_CONFIG_METADATA_H_
#define ATTN_LIB_MODEL_CONFIG_METADATA_H_

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/model/head_patterns.h"

namespace attn::model {

using Metadata = std::map<std::string, std::string>;

inline constexpr double kNoLimit = std::numeric_limits<double>::infinity();

// Size limits of every model kind: far above any model this toolkit trains, low enough that
// listing a configuration's tensors is instant (a checkpoint is checked against them before
// anything is allocated).
inline constexpr int64_t kMaxWidth = 1 << 16;          // d_model
inline constexpr int64_t kMaxFeedForward = 1 << 20;    // ff
inline constexpr int64_t kMaxHeads = 4096;
inline constexpr int64_t kMaxLayers = 1024;
inline constexpr int64_t kMaxPositions = 1 << 20;      // max_len

// One field of Config. Integers must lie in [min, max], doubles in [min, max) (so a
// probability is {0, 1}; NaN never passes). The default is the member's value in Config{}.
template <typename Config>
struct ConfigField {
  std::string key;
  std::variant<int64_t Config::*, double Config::*, std::string Config::*> member;
  double min = -kNoLimit;
  double max = kNoLimit;
  // A field added after checkpoints without it were written: absent means the default, and
  // the default is not written, so configurations that do not use it keep their old metadata.
  bool optional = false;
};

template <typename Config>
using ConfigFields = std::vector<ConfigField<Config>>;

// The checks behind the generic functions below, one value at a time; errors name the key.
absl::Status CheckInt(const std::string& key, int64_t v, double min, double max);
absl::Status CheckDouble(const std::string& key, double v, double min, double max);
absl::StatusOr<int64_t> ParseMetadataInt(const std::string& key, const std::string& text);
absl::StatusOr<double> ParseMetadataDouble(const std::string& key, const std::string& text);
// Doubles in shortest round-trip form.
std::string FormatDouble(double v);

// Every field's value is in its range.
template <typename Config>
absl::Status ValidateFields(const ConfigFields<Config>& fields, const Config& c) {
  for (const ConfigField<Config>& f : fields) {
    absl::Status s = absl::OkStatus();
    if (auto* m = std::get_if<int64_t Config::*>(&f.member)) s = CheckInt(f.key, c.**m, f.min, f.max);
    if (auto* m = std::get_if<double Config::*>(&f.member)) s = CheckDouble(f.key, c.**m, f.min, f.max);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

template <typename Config>
Metadata FieldsToMetadata(const ConfigFields<Config>& fields, const Config& c) {
  static const Config defaults{};
  Metadata m;
  for (const ConfigField<Config>& f : fields) {
    std::string text, default_text;
    if (auto* p = std::get_if<int64_t Config::*>(&f.member)) {
      text = std::to_string(c.**p);
      default_text = std::to_string(defaults.**p);
    } else if (auto* p = std::get_if<double Config::*>(&f.member)) {
      text = FormatDouble(c.**p);
      default_text = FormatDouble(defaults.**p);
    } else {
      auto* s = std::get_if<std::string Config::*>(&f.member);
      text = c.**s;
      default_text = defaults.**s;
    }
    if (!f.optional || text != default_text) m[f.key] = text;
  }
  return m;
}

// Parses and range-checks every field present, starting from Config{}; a missing required
// key, a malformed or out-of-range number is InvalidArgument naming the key and the value.
template <typename Config>
absl::StatusOr<Config> FieldsFromMetadata(const ConfigFields<Config>& fields, const Metadata& metadata) {
  Config c;
  for (const ConfigField<Config>& f : fields) {
    auto it = metadata.find(f.key);
    if (it == metadata.end()) {
      if (f.optional) continue;
      return absl::InvalidArgumentError("metadata lacks \"" + f.key + "\"");
    }
    if (auto* p = std::get_if<int64_t Config::*>(&f.member)) {
      absl::StatusOr<int64_t> v = ParseMetadataInt(f.key, it->second);
      if (!v.ok()) return v.status();
      if (absl::Status s = CheckInt(f.key, *v, f.min, f.max); !s.ok()) return s;
      c.**p = *v;
    } else if (auto* p = std::get_if<double Config::*>(&f.member)) {
      absl::StatusOr<double> v = ParseMetadataDouble(f.key, it->second);
      if (!v.ok()) return v.status();
      if (absl::Status s = CheckDouble(f.key, *v, f.min, f.max); !s.ok()) return s;
      c.**p = *v;
    } else {
      c.*std::get<std::string Config::*>(f.member) = it->second;
    }
  }
  return c;
}

// The sizes every transformer configuration has (members d_model, heads, layers, ff,
// max_len), within the limits above; a kind's table starts with them.
template <typename Config>
ConfigFields<Config> TransformerSizeFields() {
  return {{"d_model", &Config::d_model, 1, kMaxWidth},
          {"heads", &Config::heads, 1, kMaxHeads},
          {"layers", &Config::layers, 1, kMaxLayers},
          {"ff", &Config::ff, 1, kMaxFeedForward},
          {"max_len", &Config::max_len, 1, kMaxPositions}};
}

// The metadata keys of a table, for reserving them.
template <typename Config>
std::vector<std::string> FieldKeys(const ConfigFields<Config>& fields) {
  std::vector<std::string> keys;
  for (const ConfigField<Config>& f : fields) keys.push_back(f.key);
  return keys;
}

// Multi-head attention over a sinusoidal table: heads divide d_model, which is even.
absl::Status CheckHeadsDivideWidth(int64_t d_model, int64_t heads);

// Attention patterns as metadata: key "patterns" holds the pattern file's text, compact.
inline constexpr char kPatternsKey[] = "patterns";
std::string PatternsMetadataText(const HeadPatterns& patterns);
// The patterns under "patterns" for a layers x heads model; empty when the key is absent.
absl::StatusOr<HeadPatterns> PatternsFromMetadata(const Metadata& metadata, int64_t layers, int64_t heads);
// Patterns set on a configuration fit its layers and heads.
absl::Status CheckPatternsFit(const HeadPatterns& patterns, int64_t layers, int64_t heads);

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_CONFIG_METADATA_H_
