// Range checks of numeric options, one for every option of every tool, so that NaN,
// infinities and out-of-range values are refused before they reach LibTorch. Each error
// is InvalidArgument (a usage error) naming the option (lib/runtime/option_names.h).
#ifndef ATTN_LIB_RUNTIME_OPTION_CHECKS_H_
#define ATTN_LIB_RUNTIME_OPTION_CHECKS_H_

#include <cstdint>
#include <limits>
#include <string_view>

#include "absl/status/status.h"

namespace attn::runtime {

// An interval of allowed values; NaN is never in one, and infinities only where a bound
// is itself infinite and inclusive (never, with the ranges below).
struct Range {
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
  bool low_open = false;
  bool high_open = false;
};
inline constexpr Range kPositive{0, std::numeric_limits<double>::infinity(), true, true};
inline constexpr Range kNonNegative{0, std::numeric_limits<double>::infinity(), false, true};
// A dropout or other probability that must leave something: [0, 1).
inline constexpr Range kProbability{0, 1, false, true};
// A share of a whole that may be all of it: (0, 1].
inline constexpr Range kFraction{0, 1, true, false};

// `value` must be a finite number in `range`: "`lr`=nan must be a finite number > 0".
absl::Status CheckNumber(std::string_view option, double value, const Range& range);

// `value` must be in [low, high]: "`seq_len`=0 must be at least 1".
absl::Status CheckInteger(std::string_view option, int64_t value, int64_t low,
                          int64_t high = std::numeric_limits<int64_t>::max());

}  // namespace attn::runtime

#endif  // ATTN_LIB_RUNTIME_OPTION_CHECKS_H_
