#include "lib/model/config_metadata.h"

#include <charconv>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/model/pattern_file.h"

namespace attn::model {

absl::Status CheckInt(const std::string& key, int64_t v, double min, double max) {
  const auto d = static_cast<double>(v);
  if (d < min) {
    return absl::InvalidArgumentError(
        min == 1 ? absl::StrCat(key, " = ", v, " must be positive")
                 : absl::StrCat(key, " = ", v, " must be at least ", static_cast<int64_t>(min)));
  }
  if (d > max) {
    return absl::InvalidArgumentError(absl::StrCat(key, " = ", v, " must be at most ", static_cast<int64_t>(max)));
  }
  return absl::OkStatus();
}

absl::Status CheckDouble(const std::string& key, double v, double min, double max) {
  if (v >= min && v < max) return absl::OkStatus();
  if (max == kNoLimit) {
    return absl::InvalidArgumentError(min == -kNoLimit
                                          ? absl::StrCat(key, " = ", v, " must be finite")
                                          : absl::StrCat(key, " = ", v, " must be finite and at least ", min));
  }
  return absl::InvalidArgumentError(absl::StrCat(key, " = ", v, " must be in [", min, ", ", max, ")"));
}

absl::StatusOr<int64_t> ParseMetadataInt(const std::string& key, const std::string& text) {
  int64_t v;
  if (!absl::SimpleAtoi(text, &v)) {
    return absl::InvalidArgumentError(
        absl::StrCat("metadata \"", key, "\" = \"", text, "\" is not an integer (or does not fit in 64 bits)"));
  }
  return v;
}

absl::StatusOr<double> ParseMetadataDouble(const std::string& key, const std::string& text) {
  double v;
  if (!absl::SimpleAtod(text, &v)) {
    return absl::InvalidArgumentError(absl::StrCat("metadata \"", key, "\" = \"", text, "\" is not a number"));
  }
  return v;
}

std::string FormatDouble(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, end);
}

absl::Status CheckHeadsDivideWidth(int64_t d_model, int64_t heads) {
  if (d_model % heads != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("heads = ", heads, " must divide d_model = ", d_model, " (each head gets d_model / heads)"));
  }
  if (d_model % 2 != 0) {
    return absl::InvalidArgumentError(absl::StrCat("d_model = ", d_model, " must be even (sinusoidal table)"));
  }
  return absl::OkStatus();
}

std::string PatternsMetadataText(const HeadPatterns& patterns) {
  return PatternFileText(patterns, nlohmann::json::object(), /*indent=*/-1);
}

absl::StatusOr<HeadPatterns> PatternsFromMetadata(const Metadata& metadata, int64_t layers, int64_t heads) {
  auto it = metadata.find(kPatternsKey);
  if (it == metadata.end()) return HeadPatterns();
  return ParsePatternFile(it->second, "metadata \"patterns\"", layers, heads);
}

absl::Status CheckPatternsFit(const HeadPatterns& patterns, int64_t layers, int64_t heads) {
  if (patterns.empty() || (patterns.layers() == layers && patterns.heads() == heads)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("the attention patterns are for ", patterns.layers(), " layers x ",
                                                 patterns.heads(), " heads, the model has ", layers, " x ", heads));
}

}  // namespace attn::model
