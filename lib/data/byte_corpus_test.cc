#include "lib/data/byte_corpus.h"

#include <cstdlib>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "lib/io/atomic_file.h"

namespace attn::data {
namespace {

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

TEST(ByteCorpus, MapsAFileWithAllByteValues) {
  std::string bytes;
  for (int b = 255; b >= 0; --b) bytes.push_back(static_cast<char>(b));
  const std::string path = TempPath("all_bytes");
  ASSERT_TRUE(io::WriteFileAtomically(path, bytes).ok());
  absl::StatusOr<ByteCorpus> corpus = ByteCorpus::Open(path);
  ASSERT_TRUE(corpus.ok()) << corpus.status();
  EXPECT_EQ(corpus->size(), 256);
  EXPECT_EQ(corpus->bytes(), bytes);
  // Moving keeps the mapping valid in the new owner.
  ByteCorpus moved = *std::move(corpus);
  EXPECT_EQ(moved.bytes(), bytes);
  EXPECT_EQ(moved.path(), path);
}

TEST(ByteCorpus, EmptyFileIsAnErrorNamingIt) {
  const std::string path = TempPath("empty");
  ASSERT_TRUE(io::WriteFileAtomically(path, "").ok());
  absl::StatusOr<ByteCorpus> corpus = ByteCorpus::Open(path);
  ASSERT_FALSE(corpus.ok());
  EXPECT_EQ(corpus.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(corpus.status().message().find(path + " is empty"), std::string::npos)
      << corpus.status();
}

TEST(ByteCorpus, MissingFileAndDirectoryAreErrors) {
  absl::StatusOr<ByteCorpus> missing = ByteCorpus::Open(TempPath("no_such_file"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("no_such_file"), std::string::npos);
  absl::StatusOr<ByteCorpus> dir = ByteCorpus::Open(std::getenv("TEST_TMPDIR"));
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(dir.status().message().find("is a directory"), std::string::npos);
}

}  // namespace
}  // namespace attn::data
