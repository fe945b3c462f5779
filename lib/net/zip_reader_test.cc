#include "lib/net/zip_reader.h"

#include <zip.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace attn::net {
namespace {

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

// Text that deflate compresses but cannot reduce to a trivial pattern.
std::string SomeText(size_t size, uint32_t seed) {
  static const char* const kWords[] = {"<page>", "the ", "[[link]] ", "of ", "enwik8 ",
                                       "\n", "zip ", "&amp; ", "1999 ", "{{cite}} "};
  std::string text;
  while (text.size() < size) {
    seed = seed * 1664525u + 1013904223u;
    text += kWords[(seed >> 16) % 10];
  }
  text.resize(size);
  return text;
}

// Writes a zip with libzip itself; `store` keeps the members uncompressed.
void WriteZip(const std::string& path, const std::vector<std::pair<std::string, std::string>>& members,
              bool store) {
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  ASSERT_NE(archive, nullptr) << "zip_open error " << error;
  for (const auto& [name, content] : members) {
    zip_source_t* source = zip_source_buffer(archive, content.data(), content.size(), 0);
    ASSERT_NE(source, nullptr);
    const zip_int64_t index = zip_file_add(archive, name.c_str(), source, ZIP_FL_OVERWRITE);
    ASSERT_GE(index, 0) << zip_strerror(archive);
    ASSERT_EQ(zip_set_file_compression(archive, index, store ? ZIP_CM_STORE : ZIP_CM_DEFLATE, 0),
              0);
  }
  ASSERT_EQ(zip_close(archive), 0);
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Reads the whole member in chunks of `chunk` bytes, or returns the first error.
absl::StatusOr<std::string> ReadAll(ZipMemberReader& reader, size_t chunk) {
  std::string out;
  std::vector<char> buf(chunk);
  while (true) {
    absl::StatusOr<size_t> n = reader.Read(buf.data(), buf.size());
    if (!n.ok()) return n.status();
    if (*n == 0) return out;
    out.append(buf.data(), *n);
  }
}

TEST(ZipMemberReader, ReadsADeflatedMemberExactly) {
  const std::string path = TempPath("deflated.zip");
  const std::string content = SomeText(300000, 1);
  WriteZip(path, {{"readme", "not this one"}, {"enwik8", content}}, /*store=*/false);
  ASSERT_LT(ReadBytes(path).size(), content.size() / 2) << "the test zip is not compressed";
  absl::StatusOr<ZipMemberReader> reader = ZipMemberReader::Open(path, "enwik8");
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->size(), 300000);
  absl::StatusOr<std::string> got = ReadAll(*reader, 4099);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == content);
}

TEST(ZipMemberReader, ReadsAStoredMemberAndAnEmptyOne) {
  const std::string path = TempPath("stored.zip");
  const std::string content = SomeText(5000, 2);
  WriteZip(path, {{"enwik8", content}, {"empty", ""}}, /*store=*/true);
  absl::StatusOr<ZipMemberReader> reader = ZipMemberReader::Open(path, "enwik8");
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::StatusOr<std::string> got = ReadAll(*reader, 1 << 20);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == content);
  absl::StatusOr<ZipMemberReader> empty = ZipMemberReader::Open(path, "empty");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->size(), 0);
  EXPECT_EQ(ReadAll(*empty, 16).value(), "");
}

TEST(ZipMemberReader, MissingMemberIsNotFoundAndListsTheMembers) {
  const std::string path = TempPath("other.zip");
  WriteZip(path, {{"enwik9", "x"}, {"README", "y"}}, /*store=*/false);
  absl::StatusOr<ZipMemberReader> reader = ZipMemberReader::Open(path, "enwik8");
  ASSERT_EQ(reader.status().code(), absl::StatusCode::kNotFound) << reader.status();
  const std::string message(reader.status().message());
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("'enwik8'"), std::string::npos) << message;
  EXPECT_NE(message.find("'enwik9', 'README'"), std::string::npos) << message;
}

TEST(ZipMemberReader, MissingArchiveIsNotFound) {
  absl::StatusOr<ZipMemberReader> reader = ZipMemberReader::Open(TempPath("absent.zip"), "a");
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kNotFound) << reader.status();
}

TEST(ZipMemberReader, TruncatedArchiveIsDataLoss) {
  const std::string path = TempPath("truncated.zip");
  WriteZip(path, {{"enwik8", SomeText(100000, 3)}}, /*store=*/false);
  const std::string bytes = ReadBytes(path);
  WriteBytes(path, bytes.substr(0, bytes.size() / 2));
  absl::StatusOr<ZipMemberReader> reader = ZipMemberReader::Open(path, "enwik8");
  ASSERT_EQ(reader.status().code(), absl::StatusCode::kDataLoss) << reader.status();
  EXPECT_NE(reader.status().message().find("truncated or corrupt"), std::string::npos);
}

TEST(ZipMemberReader, NonZipIsDataLoss) {
  const std::string path = TempPath("text.zip");
  WriteBytes(path, "<html>404 Not Found</html>\n");
  EXPECT_EQ(ZipMemberReader::Open(path, "enwik8").status().code(), absl::StatusCode::kDataLoss);
}

// A flipped byte in stored data passes every header check: only the CRC can catch it.
TEST(ZipMemberReader, CorruptStoredDataFailsTheCrcCheck) {
  const std::string path = TempPath("crc.zip");
  const std::string content = SomeText(20000, 4);
  WriteZip(path, {{"enwik8", content}}, /*store=*/true);
  std::string bytes = ReadBytes(path);
  const size_t at = bytes.find(content);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 12345] ^= 0x01;
  WriteBytes(path, bytes);
  absl::StatusOr<ZipMemberReader> reader = ZipMemberReader::Open(path, "enwik8");
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::StatusOr<std::string> got = ReadAll(*reader, 4096);
  ASSERT_EQ(got.status().code(), absl::StatusCode::kDataLoss) << got.status();
  EXPECT_NE(got.status().message().find("CRC"), std::string::npos) << got.status();
}

TEST(ZipMemberReader, CorruptDeflatedDataIsDataLoss) {
  const std::string path = TempPath("inflate.zip");
  WriteZip(path, {{"enwik8", SomeText(200000, 5)}}, /*store=*/false);
  std::string bytes = ReadBytes(path);
  // Scramble a stretch inside the compressed stream (it starts after a ~36-byte header).
  for (size_t i = 2000; i < 2064; ++i) bytes[i] ^= 0x5a;
  WriteBytes(path, bytes);
  absl::StatusOr<ZipMemberReader> reader = ZipMemberReader::Open(path, "enwik8");
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(ReadAll(*reader, 65536).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace attn::net
