#include "lib/runtime/option_checks.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "lib/runtime/option_names.h"

namespace attn::runtime {
namespace {

std::string Describe(const Range& r) {
  const bool low = std::isfinite(r.low), high = std::isfinite(r.high);
  if (low && high) {
    return absl::StrCat("in ", r.low_open ? "(" : "[", r.low, ", ", r.high, r.high_open ? ")" : "]");
  }
  if (low) return absl::StrCat(r.low_open ? "> " : ">= ", r.low);
  if (high) return absl::StrCat(r.high_open ? "< " : "<= ", r.high);
  return "";
}

}  // namespace

absl::Status CheckNumber(std::string_view option, double value, const Range& range) {
  const bool above_low = range.low_open ? value > range.low : value >= range.low;
  const bool below_high = range.high_open ? value < range.high : value <= range.high;
  if (std::isfinite(value) && above_low && below_high) return absl::OkStatus();
  const std::string where = Describe(range);
  return absl::InvalidArgumentError(absl::StrCat(Opt(option), "=", value, " must be a finite number",
                                                 where.empty() ? "" : " ", where));
}

absl::Status CheckInteger(std::string_view option, int64_t value, int64_t low, int64_t high) {
  if (value >= low && value <= high) return absl::OkStatus();
  if (high == std::numeric_limits<int64_t>::max()) {
    return absl::InvalidArgumentError(absl::StrCat(
        Opt(option), "=", value, low == 0 ? " must not be negative" : absl::StrCat(" must be at least ", low)));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(Opt(option), "=", value, " must be in ", low, "..", high));
}

}  // namespace attn::runtime
