#include "lib/io/npy.h"

#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"

namespace attn::io {
namespace {

std::string Fixture(const std::string& name) {
  absl::StatusOr<std::string> bytes = ReadFile("testdata/npy/" + name);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.value_or("");
}

// A FILE* over in-memory bytes, as a pipe would deliver them (not seekable by the reader).
FILE* MemoryStream(const std::string& bytes) {
  FILE* f = fmemopen(const_cast<char*>(bytes.data()), bytes.size(), "rb");
  EXPECT_NE(f, nullptr);
  return f;
}

std::vector<float> A() { return {0, 0.125f, 0.25f, 0.375f, 0.5f, 0.625f}; }

TEST(NpyWriter, HeaderIsByteIdenticalToNumpySave) {
  const std::string numpy = Fixture("two_records.npy");
  std::vector<float> a = A();
  std::string ours = NpyFloat32Header({2, 3});
  ours.append(reinterpret_cast<const char*>(a.data()), a.size() * sizeof(float));
  ASSERT_LE(ours.size(), numpy.size());
  EXPECT_EQ(ours, numpy.substr(0, ours.size()));
  EXPECT_EQ(ours.size() % 64, 24u);  // 128-byte header + 24 bytes of data
  const std::string one_d = Fixture("one_d.npy");
  EXPECT_EQ(NpyFloat32Header({1}), one_d.substr(0, one_d.size() - 4));
}

TEST(NpyWriter, WritesAStreamThatNumpyAndTheReaderAgreeOn) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/stream.npy";
  std::vector<float> a = A();
  std::vector<float> b = {0.5f, -1.25f, 3.0f, 1e-3f};
  {
    absl::StatusOr<AtomicFile> out = AtomicFile::Open(path);
    ASSERT_TRUE(out.ok());
    ASSERT_TRUE(WriteNpyRecord(*out, a.data(), {2, 3}).ok());
    ASSERT_TRUE(WriteNpyRecord(*out, b.data(), {1, 1, 2, 2}).ok());
    ASSERT_TRUE(out->Commit().ok());
  }
  absl::StatusOr<std::string> written = ReadFile(path);
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(*written, Fixture("two_records.npy"));
}

TEST(NpyStreamReader, ReadsConcatenatedRecordsThenStopsCleanly) {
  const std::string bytes = Fixture("two_records.npy");
  FILE* f = MemoryStream(bytes);
  NpyStreamReader reader(f, "two_records.npy");
  NpyRecord record;
  absl::StatusOr<bool> more = reader.Next(&record);
  ASSERT_TRUE(more.ok()) << more.status();
  ASSERT_TRUE(*more);
  EXPECT_EQ(record.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(record.data, A());
  more = reader.Next(&record);
  ASSERT_TRUE(more.ok() && *more) << more.status();
  EXPECT_EQ(record.shape, (std::vector<int64_t>{1, 1, 2, 2}));
  EXPECT_EQ(record.data, (std::vector<float>{0.5f, -1.25f, 3.0f, 1e-3f}));
  more = reader.Next(&record);
  ASSERT_TRUE(more.ok()) << more.status();
  EXPECT_FALSE(*more);
  EXPECT_EQ(reader.bytes_read(), static_cast<int64_t>(bytes.size()));
  fclose(f);
}

TEST(NpyStreamReader, ReadsInPiecesAndSkipsWhatIsLeft) {
  const std::string bytes = Fixture("two_records.npy");
  FILE* f = MemoryStream(bytes);
  NpyStreamReader reader(f, "s");
  NpyHeader header;
  ASSERT_TRUE(*reader.NextHeader(&header));
  EXPECT_EQ(header.num_elements(), 6);
  float first[2];
  ASSERT_TRUE(reader.ReadData(first, 2).ok());
  EXPECT_EQ(first[1], 0.125f);
  EXPECT_FALSE(reader.ReadData(first, 5).ok()) << "only 4 values left";
  absl::StatusOr<bool> more = reader.NextHeader(&header);  // skips the 4 unread values
  ASSERT_TRUE(more.ok() && *more) << more.status();
  EXPECT_EQ(reader.record_index(), 1);
  float b[4];
  ASSERT_TRUE(reader.ReadData(b, 4).ok());
  EXPECT_EQ(b[1], -1.25f);
  fclose(f);
}

TEST(NpyStreamReader, AcceptsVersion2And3Headers) {
  for (const char* name : {"v2.npy", "v3.npy"}) {
    const std::string bytes = Fixture(name);
    FILE* f = MemoryStream(bytes);
    NpyStreamReader reader(f, name);
    NpyRecord record;
    absl::StatusOr<bool> more = reader.Next(&record);
    ASSERT_TRUE(more.ok() && *more) << name << ": " << more.status();
    EXPECT_EQ(record.data, A()) << name;
    fclose(f);
  }
}

TEST(NpyStreamReader, ReadsFromAPipe) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::vector<float> big(1 << 20);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<float>(i);
  std::thread writer([&] {
    FILE* w = fdopen(fds[1], "wb");
    for (int r = 0; r < 3; ++r) ASSERT_TRUE(WriteNpyRecord(w, big.data(), {1024, 1024}).ok());
    fclose(w);
  });
  FILE* r = fdopen(fds[0], "rb");
  NpyStreamReader reader(r, "pipe");
  NpyRecord record;
  int count = 0;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(&record);
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
    ++count;
    EXPECT_EQ(record.data, big);
  }
  writer.join();
  fclose(r);
  EXPECT_EQ(count, 3);
}

TEST(NpyStreamReader, ReadsARegularFileToItsLastByte) {
  FILE* f = std::fopen("testdata/npy/two_records.npy", "rb");
  ASSERT_NE(f, nullptr);
  NpyStreamReader reader(f, "two_records.npy");
  NpyRecord record;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<bool> more = reader.Next(&record);
    ASSERT_TRUE(more.ok() && *more) << more.status();
  }
  EXPECT_EQ(record.data, (std::vector<float>{0.5f, -1.25f, 3.0f, 1e-3f}));
  absl::StatusOr<bool> more = reader.Next(&record);
  ASSERT_TRUE(more.ok()) << more.status();
  EXPECT_FALSE(*more);
  fclose(f);
}

// 192 bytes: numpy's 128-byte header claiming `shape`, then 64 bytes of data.
std::string HostileRecord(const std::vector<int64_t>& shape) {
  std::string bytes = NpyFloat32Header(shape);
  EXPECT_EQ(bytes.size(), 128u);
  return bytes + std::string(64, '\x01');
}

const std::vector<int64_t> kHostileShapes[] = {
    {100'000'000'000, 1, 1, 1}, {1, int64_t{1} << 31, 1, 1}, {1, 1, 20000, 20000}};

TEST(NpyStreamReader, RefusesAHeaderThatClaimsMoreThanTheFileHolds) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/hostile.npy";
  const char* bytes_needed[] = {"400000000000", "8589934592", "1600000000"};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(WriteFileAtomically(path, HostileRecord(kHostileShapes[i])).ok());
    const std::string expected = absl::StrCat(
        "hostile.npy: record 0: truncated data: shape [", absl::StrJoin(kHostileShapes[i], ", "),
        "] needs ", bytes_needed[i], " bytes but the file has 64 left (the file is truncated or its "
        "header corrupt)");
    FILE* f = std::fopen(path.c_str(), "rb");
    NpyStreamReader pieces(f, "hostile.npy");
    NpyHeader header;
    EXPECT_EQ(pieces.NextHeader(&header).status().message(), expected);
    fclose(f);
    f = std::fopen(path.c_str(), "rb");
    NpyStreamReader whole(f, "hostile.npy");
    NpyRecord record;
    EXPECT_EQ(whole.Next(&record).status().message(), expected);
    EXPECT_EQ(record.data.capacity(), 0u) << "allocated from the header alone";
    fclose(f);
  }
}

TEST(NpyStreamReader, OnAPipeGrowsTheRecordOnlyWithTheDataThatArrives) {
  for (const std::vector<int64_t>& shape : kHostileShapes) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const std::string bytes = HostileRecord(shape);
    ASSERT_EQ(write(fds[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    close(fds[1]);
    FILE* f = fdopen(fds[0], "rb");
    NpyStreamReader reader(f, "pipe");
    NpyRecord record;
    const int64_t n = NpyHeader{shape}.num_elements();
    EXPECT_EQ(reader.Next(&record).status().message(),
              absl::StrCat("pipe: record 0: truncated data: the stream ends ", n * 4 - 64,
                           " bytes before the record's end"));
    EXPECT_LE(record.data.capacity(), size_t{1} << 16) << "floats allocated for 16 that arrived";
    fclose(f);
  }
}

std::string ErrorOf(const std::string& bytes) {
  FILE* f = MemoryStream(bytes);
  NpyStreamReader reader(f, "in.npy");
  NpyRecord record;
  absl::StatusOr<bool> more;
  do {
    more = reader.Next(&record);
  } while (more.ok() && *more);
  fclose(f);
  return more.ok() ? "" : std::string(more.status().message());
}

TEST(NpyStreamReader, RejectsBadInputWithOneClearLine) {
  const std::string good = Fixture("two_records.npy");
  EXPECT_EQ(ErrorOf(good), "");
  EXPECT_EQ(ErrorOf("layer,head\n0,0\n"),
            "in.npy: record 0: not an .npy record (no \\x93NUMPY magic); expected an attention "
            "stream");
  EXPECT_EQ(ErrorOf(Fixture("f8.npy")),
            "in.npy: record 0: dtype '<f8' is not little-endian float32 ('<f4'); write the "
            "attention as float32");
  EXPECT_EQ(ErrorOf(Fixture("fortran.npy")),
            "in.npy: record 0: Fortran-order data; write the attention in C order");
  EXPECT_EQ(ErrorOf(good.substr(0, good.size() - 3)),
            "in.npy: record 1: truncated data: the stream ends 3 bytes before the record's end");
  EXPECT_EQ(ErrorOf(good.substr(0, 152 + 40)),
            "in.npy: record 1: truncated header; the stream ends early");
  EXPECT_EQ(ErrorOf(good.substr(0, 152) + "garbage"),
            "in.npy: record 1: not an .npy record (no \\x93NUMPY magic); expected an attention "
            "stream");
  std::string v9 = good;
  v9[6] = 9;
  EXPECT_EQ(ErrorOf(v9), "in.npy: record 0: unsupported .npy version 9.0; expected 1.0, 2.0 or 3.0");
  std::string bad_dict = good;
  bad_dict.replace(bad_dict.find("'shape'"), 7, "'shapf'");
  EXPECT_EQ(ErrorOf(bad_dict), "in.npy: record 0: malformed header dict: unexpected key 'shapf'");
  std::string line_break = good;
  line_break.replace(line_break.find("'shape'"), 7, "'s\nape'");
  EXPECT_EQ(ErrorOf(line_break), "in.npy: record 0: malformed header dict: unexpected key 's\\nape'");
  EXPECT_EQ(ErrorOf(NpyFloat32Header(std::vector<int64_t>(65, 1)) + "1234"),
            "in.npy: record 0: malformed header dict: 'shape' has more than 64 dimensions");
}

TEST(NpyStreamReader, RefusesAShapeWhoseSizeOverflows) {
  EXPECT_EQ(ErrorOf(HostileRecord({int64_t{1} << 40, int64_t{1} << 40})),
            "in.npy: record 0: shape [1099511627776, 1099511627776] is too large");
}

}  // namespace
}  // namespace attn::io
