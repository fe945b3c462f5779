// Byte tokens (vocabulary 256) in the two formats tokenize reads and writes:
//   u8:  one byte per token (the raw bytes themselves);
//   ids: each token as its decimal id 0..255 on its own line ("104\n105\n").
// Streams go chunk by chunk, so memory stays constant on any input size.
#ifndef ATTN_LIB_DATA_TOKEN_CODEC_H_
#define ATTN_LIB_DATA_TOKEN_CODEC_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/io/atomic_file.h"

namespace attn::data {

enum class TokenFormat { kU8, kIds };

// "u8" or "ids"; anything else is InvalidArgument.
absl::StatusOr<TokenFormat> ParseTokenFormat(const std::string& name);

// The file extension (and flag value) of a format: "u8" or "ids".
const char* TokenFormatName(TokenFormat format);

// Appends the tokens of `bytes` in `format` to `out`.
void EncodeTokens(std::string_view bytes, TokenFormat format, std::string* out);

// Turns "ids" text back into bytes, fed in arbitrary chunks. Each line must be an integer
// 0..255 written with 1 to 3 ASCII digits; the last line may lack its newline. Errors are
// DataLoss and name `source` and the line.
class IdsDecoder {
 public:
  explicit IdsDecoder(std::string source) : source_(std::move(source)) {}

  // Appends the bytes of the complete lines in `chunk` to `out`.
  absl::Status Feed(std::string_view chunk, std::string* out);
  // Call once at the end: flushes an unterminated last line.
  absl::Status Finish(std::string* out);

 private:
  absl::Status BadLine() const;

  static constexpr int kShownChars = 16;  // of a bad line, in its error message

  std::string source_;
  int64_t line_ = 1;
  int value_ = 0;
  int length_ = 0;  // characters in the current line so far
  bool bad_ = false;
  char shown_[kShownChars];  // the current line's first characters
};

// Copies `in` to `out`, encoding raw bytes as `format` (--format=u8|ids).
// An empty input is FailedPrecondition. `source` names the input in errors.
absl::Status EncodeStream(FILE* in, const std::string& source, TokenFormat format,
                          io::AtomicFile* out);

// The inverse (--decode): reads tokens in `format` from `in`, writes raw bytes to `out`.
absl::Status DecodeStream(FILE* in, const std::string& source, TokenFormat format,
                          io::AtomicFile* out);

}  // namespace attn::data

#endif  // ATTN_LIB_DATA_TOKEN_CODEC_H_
