// How a byte corpus is divided into train / valid / test (docs/design.md, "Training").
#ifndef ATTN_LIB_DATA_SPLITS_H_
#define ATTN_LIB_DATA_SPLITS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace attn::data {

// Fractions are held as exact decimals: value = part / kFractionScale. Parsing "0.05" as a
// double and flooring 0.05 * n can land one byte short; integer arithmetic cannot.
inline constexpr int64_t kFractionScale = 1'000'000'000'000'000'000;  // 10^18

// The --splits flag, parsed: 2 or 3 parts named train, valid[, test].
struct SplitSpec {
  enum class Kind { kFractions, kByteCounts };
  Kind kind = Kind::kFractions;
  // kFractions: each part in (0, kFractionScale], summing to kFractionScale within 1e-9.
  // kByteCounts: each part > 0; they must sum to the input size exactly.
  std::vector<int64_t> parts;
};

// One contiguous piece of the input.
struct Split {
  std::string name;
  int64_t offset = 0;
  int64_t size = 0;
};

// 90% / 5% / 5%: on a 100,000,000-byte input (enwik8) exactly the standard benchmark split
// 90,000,000 / 5,000,000 / 5,000,000.
SplitSpec DefaultSplits();

// Parses --splits. "" gives DefaultSplits(). If any part has a '.', all parts are decimal
// fractions ("0.9,0.1", ".9,.05,.05"); otherwise all are byte counts ("90000000,10000000").
// Errors are InvalidArgument (a usage error).
absl::StatusOr<SplitSpec> ParseSplits(std::string_view text);

// The splits of an input of `input_size` bytes, in order, covering it exactly.
// Fractions: every split after the first gets floor(fraction * input_size) bytes and the
// first (train) gets the rest, so the sizes always sum to input_size. Byte counts must sum
// to input_size exactly (InvalidArgument otherwise). A split that would be empty is an
// error too (InvalidArgument): a model cannot be validated on 0 bytes.
absl::StatusOr<std::vector<Split>> ComputeSplits(const SplitSpec& spec, int64_t input_size);

}  // namespace attn::data

#endif  // ATTN_LIB_DATA_SPLITS_H_
