#include "lib/data/splits.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace attn::data {
namespace {

// Debian's Abseil has its own string_view type (it is built as C++14), so the parsing
// below works on absl::string_view.
using absl::string_view;

constexpr int kScaleDigits = 18;
constexpr int64_t kSumTolerance = 1'000'000'000;  // 1e-9 of kFractionScale

const char* const kSplitNames[] = {"train", "valid", "test"};

bool AllDigits(string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

absl::Status NotANumber(string_view part) {
  return absl::InvalidArgumentError(
      absl::StrCat("`splits`: '", part,
                   "' is neither a decimal fraction (like 0.05) nor a byte count (like 5000000); "
                   "give 2 or 3 comma-separated parts for train,valid[,test]"));
}

// "0.05" -> 0.05 * 10^18 exactly. Accepts D+, D+.D*, .D+ with at most 18 decimals.
absl::StatusOr<int64_t> ParseFraction(string_view part) {
  const size_t dot = part.find('.');
  string_view whole = part.substr(0, dot);
  string_view decimals = dot == string_view::npos ? "" : part.substr(dot + 1);
  if (whole.empty() && decimals.empty()) return NotANumber(part);
  if ((!whole.empty() && !AllDigits(whole)) || (!decimals.empty() && !AllDigits(decimals))) {
    return NotANumber(part);
  }
  if (decimals.size() > kScaleDigits) {
    return absl::InvalidArgumentError(
        absl::StrCat("`splits`: '", part, "' has more than 18 decimals"));
  }
  while (whole.size() > 1 && whole[0] == '0') whole.remove_prefix(1);
  if (whole.size() > 1 || (whole.size() == 1 && whole[0] > '1')) {
    return absl::InvalidArgumentError(absl::StrCat("`splits`: fraction '", part, "' is above 1"));
  }
  int64_t value = whole == "1" ? kFractionScale : 0;
  int64_t place = kFractionScale / 10;
  for (char c : decimals) {
    value += (c - '0') * place;
    place /= 10;
  }
  if (value > kFractionScale) {
    return absl::InvalidArgumentError(absl::StrCat("`splits`: fraction '", part, "' is above 1"));
  }
  if (value == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("`splits`: fraction '", part, "' is 0; every split needs some bytes"));
  }
  return value;
}

absl::StatusOr<int64_t> ParseByteCount(string_view part) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(part, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("`splits`: byte count '", part, "' is too large"));
  }
  if (value == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("`splits`: byte count '", part, "' is 0; every split needs some bytes"));
  }
  return value;
}

}  // namespace

SplitSpec DefaultSplits() {
  SplitSpec spec;
  spec.kind = SplitSpec::Kind::kFractions;
  spec.parts = {kFractionScale / 100 * 90, kFractionScale / 100 * 5, kFractionScale / 100 * 5};
  return spec;
}

absl::StatusOr<SplitSpec> ParseSplits(std::string_view flag) {
  if (flag.empty()) return DefaultSplits();
  const string_view text(flag.data(), flag.size());
  const std::vector<string_view> parts = absl::StrSplit(text, ',');
  if (parts.size() != 2 && parts.size() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("`splits`='", text, "' has ", parts.size(),
                     " parts; give 2 (train,valid) or 3 (train,valid,test), e.g. 0.9,0.05,0.05"));
  }
  SplitSpec spec;
  spec.kind = text.find('.') != string_view::npos ? SplitSpec::Kind::kFractions
                                                  : SplitSpec::Kind::kByteCounts;
  for (string_view part : parts) {
    if (spec.kind == SplitSpec::Kind::kByteCounts && !AllDigits(part)) return NotANumber(part);
    absl::StatusOr<int64_t> value =
        spec.kind == SplitSpec::Kind::kFractions ? ParseFraction(part) : ParseByteCount(part);
    if (!value.ok()) return value.status();
    spec.parts.push_back(*value);
  }
  if (spec.kind == SplitSpec::Kind::kFractions) {
    int64_t sum = 0;  // at most 3 * 10^18 < 2^63
    for (int64_t p : spec.parts) sum += p;
    if (sum < kFractionScale - kSumTolerance || sum > kFractionScale + kSumTolerance) {
      return absl::InvalidArgumentError(
          absl::StrCat("`splits`='", text, "': fractions sum to ",
                       static_cast<double>(sum) / static_cast<double>(kFractionScale),
                       ", not 1; make them add up to 1 (e.g. 0.9,0.05,0.05)"));
    }
  }
  return spec;
}

absl::StatusOr<std::vector<Split>> ComputeSplits(const SplitSpec& spec, int64_t input_size) {
  if (spec.parts.size() != 2 && spec.parts.size() != 3) {
    return absl::InvalidArgumentError("splits need 2 or 3 parts");
  }
  std::vector<int64_t> sizes(spec.parts.size());
  if (spec.kind == SplitSpec::Kind::kByteCounts) {
    __int128 sum = 0;
    for (int64_t p : spec.parts) sum += p;
    if (sum != input_size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "`splits`=", absl::StrJoin(spec.parts, ","), " sums to ",
          static_cast<int64_t>(sum > INT64_MAX ? INT64_MAX : sum), " bytes but the input has ",
          input_size, "; byte counts must add up to the input size exactly (or use fractions)"));
    }
    sizes = spec.parts;
  } else {
    int64_t rest = input_size;
    for (size_t i = 1; i < spec.parts.size(); ++i) {
      sizes[i] =
          static_cast<int64_t>(static_cast<__int128>(spec.parts[i]) * input_size / kFractionScale);
      rest -= sizes[i];
    }
    sizes[0] = rest;
  }
  std::vector<Split> splits;
  int64_t offset = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "split '", kSplitNames[i], "' of a ", input_size,
          "-byte input would be empty; use a larger input or give `splits` as byte counts"));
    }
    splits.push_back(Split{kSplitNames[i], offset, sizes[i]});
    offset += sizes[i];
  }
  return splits;
}

}  // namespace attn::data
