#include "lib/data/token_codec.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "lib/io/atomic_file.h"

namespace attn::data {
namespace {

std::string AllBytes() {
  std::string bytes;
  for (int b = 0; b < 256; ++b) bytes.push_back(static_cast<char>(b));
  return bytes;
}

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

// Decodes `text` fed in pieces of `piece` bytes, so lines straddle chunk boundaries.
absl::StatusOr<std::string> DecodeIds(const std::string& text, size_t piece) {
  IdsDecoder decoder("test.ids");
  std::string out;
  for (size_t at = 0; at < text.size(); at += piece) {
    if (absl::Status s = decoder.Feed(std::string_view(text).substr(at, piece), &out); !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = decoder.Finish(&out); !s.ok()) return s;
  return out;
}

// Runs a stream function from a file holding `input` to a file, returning its bytes.
template <typename Fn>
absl::StatusOr<std::string> RunStream(Fn fn, const std::string& input, TokenFormat format) {
  const std::string in_path = TempPath("stream.in");
  const std::string out_path = TempPath("stream.out");
  std::remove(out_path.c_str());
  if (absl::Status s = io::WriteFileAtomically(in_path, input); !s.ok()) return s;
  FILE* in = std::fopen(in_path.c_str(), "rb");
  absl::StatusOr<io::AtomicFile> out = io::AtomicFile::Open(out_path);
  if (!out.ok()) return out.status();
  const absl::Status status = fn(in, in_path, format, &*out);
  std::fclose(in);
  if (!status.ok()) return status;
  return io::ReadFile(out_path);
}

TEST(TokenFormat, ParsesNames) {
  EXPECT_EQ(*ParseTokenFormat("u8"), TokenFormat::kU8);
  EXPECT_EQ(*ParseTokenFormat("ids"), TokenFormat::kIds);
  EXPECT_EQ(ParseTokenFormat("U8").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseTokenFormat("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_STREQ(TokenFormatName(TokenFormat::kIds), "ids");
}

TEST(EncodeTokens, IdsAreDecimalLines) {
  std::string out;
  EncodeTokens(std::string("hi\n\0\xff", 5), TokenFormat::kIds, &out);
  EXPECT_EQ(out, "104\n105\n10\n0\n255\n");
  out = "x";
  EncodeTokens(std::string("\0\xff", 2), TokenFormat::kU8, &out);
  EXPECT_EQ(out, std::string("x\0\xff", 3));
}

TEST(IdsDecoder, RoundTripsAllByteValuesAcrossChunkBoundaries) {
  const std::string bytes = AllBytes() + AllBytes();
  std::string ids;
  EncodeTokens(bytes, TokenFormat::kIds, &ids);
  for (size_t piece : {1, 2, 3, 5, 7, 4096}) {
    absl::StatusOr<std::string> decoded = DecodeIds(ids, piece);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, bytes) << piece;
  }
}

TEST(IdsDecoder, AcceptsAMissingFinalNewline) {
  EXPECT_EQ(*DecodeIds("65\n66", 1), "AB");
  EXPECT_EQ(*DecodeIds("65\n066\n", 2), "AB");  // leading zeros are still a number
}

TEST(IdsDecoder, RejectsWhatIsNotATokenId) {
  struct Case {
    std::string text;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"65\n256\n", "test.ids: line 2: '256' is not a token id"},
           {"65\n-1\n", "line 2: '-1' is not"},
           {"abc", "line 1: 'abc' is not"},
           {"65\n\n66\n", "line 2: '' is not"},
           {"65\n66 \n", "line 2: '66 ' is not"},
           {"65\r\n", "line 1: '65\\r' is not"},
           {"1000\n", "line 1: '1000' is not"},
           {"0x41\n", "line 1: '0x41' is not"},
           {"12345678901234567890123\n", "line 1: '1234567890123456...' is not"},
           {"65\n+1", "line 2: '+1' is not"},
           {"\xff\n", "line 1: '\\xff' is not"},
       }) {
    for (size_t piece : {1, 3, 100}) {
      absl::StatusOr<std::string> decoded = DecodeIds(c.text, piece);
      ASSERT_FALSE(decoded.ok()) << c.text;
      EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
      EXPECT_NE(decoded.status().message().find(c.message), std::string::npos)
          << decoded.status() << " wanted " << c.message;
    }
  }
}

TEST(Streams, RoundTripAllByteValuesThroughFiles) {
  const std::string bytes = AllBytes() + "plain text\n" + AllBytes();
  for (TokenFormat format : {TokenFormat::kU8, TokenFormat::kIds}) {
    absl::StatusOr<std::string> encoded = RunStream(EncodeStream, bytes, format);
    ASSERT_TRUE(encoded.ok()) << encoded.status();
    std::string expected;
    EncodeTokens(bytes, format, &expected);
    EXPECT_EQ(*encoded, expected);
    absl::StatusOr<std::string> decoded = RunStream(DecodeStream, *encoded, format);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, bytes);
  }
}

TEST(Streams, LargerThanOneChunkRoundTrips) {
  std::string bytes(3 << 20, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 2654435761u) >> 13);
  absl::StatusOr<std::string> encoded = RunStream(EncodeStream, bytes, TokenFormat::kIds);
  ASSERT_TRUE(encoded.ok());
  absl::StatusOr<std::string> decoded = RunStream(DecodeStream, *encoded, TokenFormat::kIds);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(*decoded == bytes);
}

TEST(Streams, EmptyInputIsAnErrorAndWritesNothing) {
  for (TokenFormat format : {TokenFormat::kU8, TokenFormat::kIds}) {
    absl::StatusOr<std::string> encoded = RunStream(EncodeStream, "", format);
    EXPECT_EQ(encoded.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(encoded.status().message().find("is empty"), std::string::npos);
    EXPECT_EQ(RunStream(DecodeStream, "", format).status().code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_FALSE(io::ReadFile(TempPath("stream.out")).ok()) << "output file left behind";
  }
}

TEST(Streams, BadIdsLeaveNoOutputFile) {
  absl::StatusOr<std::string> decoded = RunStream(DecodeStream, "72\n300\n", TokenFormat::kIds);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(io::ReadFile(TempPath("stream.out")).ok());
}

}  // namespace
}  // namespace attn::data
