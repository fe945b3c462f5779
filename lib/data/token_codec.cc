#include "lib/data/token_codec.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "lib/runtime/progress.h"

namespace attn::data {
namespace {

constexpr size_t kChunkBytes = 1 << 20;

// "0\n" .. "255\n", so encoding is a table lookup and a copy per byte.
struct IdsTable {
  std::array<char, 4> text[256];
  uint8_t length[256];
  IdsTable() {
    for (int b = 0; b < 256; ++b) {
      const std::string s = absl::StrCat(b, "\n");
      std::memcpy(text[b].data(), s.data(), s.size());
      length[b] = static_cast<uint8_t>(s.size());
    }
  }
};

const IdsTable& Ids() {
  static const IdsTable* table = new IdsTable();
  return *table;
}

absl::Status ReadError(const std::string& source) {
  return absl::DataLossError(absl::StrCat("cannot read ", source, ": ", std::strerror(errno)));
}

absl::Status EmptyInput(const std::string& source) {
  return absl::FailedPreconditionError(
      absl::StrCat("input ", source, " is empty; give a non-empty input"));
}

// Reads `in` in chunks, handing each to `consume`; shows progress on stderr.
template <typename Consume>
absl::Status ForEachChunk(FILE* in, const std::string& source, const char* label, int64_t* total,
                          Consume consume) {
  std::vector<char> buf(kChunkBytes);
  runtime::Progress progress(label, /*total=*/0, "B");
  *total = 0;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), in)) > 0) {
    *total += static_cast<int64_t>(n);
    if (absl::Status s = consume(std::string_view(buf.data(), n)); !s.ok()) return s;
    progress.Update(*total);
  }
  if (std::ferror(in)) return ReadError(source);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TokenFormat> ParseTokenFormat(const std::string& name) {
  if (name == "u8") return TokenFormat::kU8;
  if (name == "ids") return TokenFormat::kIds;
  return absl::InvalidArgumentError(
      absl::StrCat("`format`=", name, " is not a token format; use u8 or ids"));
}

const char* TokenFormatName(TokenFormat format) {
  return format == TokenFormat::kU8 ? "u8" : "ids";
}

void EncodeTokens(std::string_view bytes, TokenFormat format, std::string* out) {
  if (format == TokenFormat::kU8) {
    out->append(bytes);
    return;
  }
  const IdsTable& ids = Ids();
  const size_t start = out->size();
  out->resize(start + 4 * bytes.size());  // at most "255\n" per byte
  char* p = out->data() + start;
  for (unsigned char b : bytes) {
    std::memcpy(p, ids.text[b].data(), 4);
    p += ids.length[b];
  }
  out->resize(static_cast<size_t>(p - out->data()));
}

absl::Status IdsDecoder::BadLine() const {
  const std::string shown(shown_, static_cast<size_t>(std::min(length_, kShownChars)));
  return absl::DataLossError(
      absl::StrCat(source_, ": line ", line_, ": '", absl::CHexEscape(shown),
                   length_ >= kShownChars ? "...'" : "'",
                   " is not a token id; expected one integer 0..255 per line"));
}

absl::Status IdsDecoder::Feed(std::string_view chunk, std::string* out) {
  // Every line this chunk completes, but the first, takes at least 2 of its characters.
  const size_t start = out->size();
  out->resize(start + chunk.size() / 2 + 1);
  char* o = out->data() + start;
  // The state lives in locals in the loop, so the compiler can keep it in registers.
  int value = value_;
  int length = length_;
  bool bad = bad_;
  absl::Status status;
  for (const char c : chunk) {
    if (c == '\n') {
      if (bad || length == 0 || value > 255) {
        length_ = length;
        status = BadLine();
        break;
      }
      *o++ = static_cast<char>(value);
      ++line_;
      value = 0;
      length = 0;
      continue;
    }
    if (length < kShownChars) shown_[length] = c;
    ++length;
    const unsigned digit = static_cast<unsigned char>(c) - unsigned{'0'};
    if (digit < 10 && length <= 3) {
      value = value * 10 + static_cast<int>(digit);
      continue;
    }
    bad = true;
    // Read on to the end of the line (or kShownChars) for a useful message.
    if (length >= kShownChars) {
      length_ = length;
      status = BadLine();
      break;
    }
  }
  value_ = value;
  length_ = length;
  bad_ = bad;
  out->resize(static_cast<size_t>(o - out->data()));
  return status;
}

absl::Status IdsDecoder::Finish(std::string* out) {
  if (length_ == 0 && !bad_) return absl::OkStatus();
  return Feed("\n", out);
}

absl::Status EncodeStream(FILE* in, const std::string& source, TokenFormat format,
                          io::AtomicFile* out) {
  std::string encoded;
  int64_t total = 0;
  absl::Status status = ForEachChunk(in, source, "tokenize", &total, [&](std::string_view chunk) {
    encoded.clear();
    EncodeTokens(chunk, format, &encoded);
    return out->Write(encoded);
  });
  if (!status.ok()) return status;
  if (total == 0) return EmptyInput(source);
  return out->Commit();
}

absl::Status DecodeStream(FILE* in, const std::string& source, TokenFormat format,
                          io::AtomicFile* out) {
  IdsDecoder decoder(source);
  std::string decoded;
  int64_t total = 0;
  absl::Status status = ForEachChunk(in, source, "decode", &total, [&](std::string_view chunk) {
    if (format == TokenFormat::kU8) return out->Write(chunk);
    decoded.clear();
    if (absl::Status s = decoder.Feed(chunk, &decoded); !s.ok()) return s;
    return out->Write(decoded);
  });
  if (!status.ok()) return status;
  if (total == 0) return EmptyInput(source);
  decoded.clear();
  if (absl::Status s = decoder.Finish(&decoded); !s.ok()) return s;
  if (absl::Status s = out->Write(decoded); !s.ok()) return s;
  return out->Commit();
}

}  // namespace attn::data
