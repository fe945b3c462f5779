#include "lib/io/atomic_file.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace attn::io {
namespace {

std::string TempDir() {
  std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/atomicXXXXXX";
  return mkdtemp(dir.data());
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  return names;
}

TEST(AtomicFile, CommitMakesTheFileAppearWhole) {
  const std::string dir = TempDir();
  const std::string path = dir + "/out.txt";
  absl::StatusOr<AtomicFile> file = AtomicFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(file->Write("hello ").ok());
  struct stat st;
  EXPECT_NE(stat(path.c_str(), &st), 0) << "visible before commit";
  ASSERT_TRUE(file->Write("world").ok());
  ASSERT_TRUE(file->Commit().ok());
  EXPECT_EQ(*ReadFile(path), "hello world");
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{"out.txt"});
}

TEST(AtomicFile, AbandonedWriterLeavesNothing) {
  const std::string dir = TempDir();
  {
    absl::StatusOr<AtomicFile> file = AtomicFile::Open(dir + "/out.txt");
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE(file->Write("partial").ok());
  }
  EXPECT_TRUE(ListDir(dir).empty());
}

TEST(AtomicFile, AbandonedRewriteKeepsTheOldFile) {
  const std::string dir = TempDir();
  const std::string path = dir + "/out.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "old").ok());
  {
    absl::StatusOr<AtomicFile> file = AtomicFile::Open(path);
    ASSERT_TRUE(file->Write("new but unfinished").ok());
  }
  EXPECT_EQ(*ReadFile(path), "old");
}

TEST(AtomicFile, UnwritableDirectoryIsAClearError) {
  absl::StatusOr<AtomicFile> file = AtomicFile::Open("/nonexistent-dir/out.txt");
  ASSERT_FALSE(file.ok());
  EXPECT_NE(std::string(file.status().message()).find("/nonexistent-dir/out.txt"),
            std::string::npos);
}

TEST(ReadFile, MissingFileNamesThePath) {
  absl::StatusOr<std::string> data = ReadFile("/no/such/file");
  ASSERT_FALSE(data.ok());
  EXPECT_TRUE(absl::IsNotFound(data.status()));
  EXPECT_NE(std::string(data.status().message()).find("/no/such/file"), std::string::npos);
}

}  // namespace
}  // namespace attn::io
