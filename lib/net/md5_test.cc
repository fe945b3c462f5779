#include "lib/net/md5.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace attn::net {
namespace {

// Digests from RFC 1321, appendix A.5.
TEST(Md5, MatchesTheRfc1321TestSuite) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"},
  };
  for (const auto& [input, expected] : cases) {
    Md5 md5;
    md5.Update(input);
    EXPECT_EQ(md5.HexDigest(), expected) << "input '" << input << "'";
  }
}

TEST(Md5, PiecewiseUpdatesEqualOneUpdateAndDigestResets) {
  Md5 md5;
  md5.Update("message ");
  md5.Update("dig");
  md5.Update("est");
  EXPECT_EQ(md5.HexDigest(), "f96b697d7cb7938d525a2f31aaf161d0");
  md5.Update("abc");
  EXPECT_EQ(md5.HexDigest(), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(Md5, OfFileReadsTheWholeFile) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/md5_input";
  FILE* f = std::fopen(path.c_str(), "wb");
  // 3 MiB of 'a' spans several read buffers; its digest was computed with md5sum.
  const std::string chunk(1 << 20, 'a');
  for (int i = 0; i < 3; ++i) std::fwrite(chunk.data(), 1, chunk.size(), f);
  std::fclose(f);
  absl::StatusOr<std::string> md5 = Md5OfFile(path);
  ASSERT_TRUE(md5.ok()) << md5.status();
  EXPECT_EQ(*md5, "6a11a8872b36343799a15617bea78cef");
}

TEST(Md5, OfMissingFileNamesIt) {
  absl::StatusOr<std::string> md5 = Md5OfFile("/nonexistent/file");
  ASSERT_FALSE(md5.ok());
  EXPECT_NE(md5.status().message().find("/nonexistent/file"), std::string::npos);
}

TEST(Md5, IsMd5HexAcceptsOnly32HexDigits) {
  EXPECT_TRUE(IsMd5Hex("a1fa5ffddb56f4953e226637dabbb36a"));
  EXPECT_TRUE(IsMd5Hex("A1FA5FFDDB56F4953E226637DABBB36A"));
  EXPECT_FALSE(IsMd5Hex("a1fa5ffddb56f4953e226637dabbb36"));
  EXPECT_FALSE(IsMd5Hex("a1fa5ffddb56f4953e226637dabbb36a0"));
  EXPECT_FALSE(IsMd5Hex("g1fa5ffddb56f4953e226637dabbb36a"));
  EXPECT_FALSE(IsMd5Hex("skip"));
  EXPECT_FALSE(IsMd5Hex(""));
}

}  // namespace
}  // namespace attn::net
