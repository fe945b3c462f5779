#include "lib/io/atomic_file.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/io/temp_dir_for_test.h"

namespace attn::io {
namespace {

TEST(AtomicFile, CommitMakesTheFileAppearWhole) {
  const std::string dir = NewTempDir();
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
  const std::string dir = NewTempDir();
  {
    absl::StatusOr<AtomicFile> file = AtomicFile::Open(dir + "/out.txt");
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE(file->Write("partial").ok());
  }
  EXPECT_TRUE(ListDir(dir).empty());
}

TEST(AtomicFile, AbandonedRewriteKeepsTheOldFile) {
  const std::string dir = NewTempDir();
  const std::string path = dir + "/out.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "old").ok());
  {
    absl::StatusOr<AtomicFile> file = AtomicFile::Open(path);
    ASSERT_TRUE(file->Write("new but unfinished").ok());
  }
  EXPECT_EQ(*ReadFile(path), "old");
}

TEST(AtomicFile, UnwritableDirectoryIsAClearError) {
  // Open creates missing folders (and the tests may run as root), so the unwritable place
  // is one where no folder can be made.
  absl::StatusOr<AtomicFile> file = AtomicFile::Open("/proc/nonexistent-dir/out.txt");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().message(),
            "cannot create the folder /proc/nonexistent-dir for /proc/nonexistent-dir/out.txt: "
            "No such file or directory");
}

TEST(AtomicFile, CreatesMissingParentFolders) {
  const std::string dir = NewTempDir();
  for (const std::string& path : {dir + "/a/b/c/out.txt", dir + "//a//d/out.txt", dir + "/a/b/c/again"}) {
    ASSERT_TRUE(WriteFileAtomically(path, "x").ok()) << path;
    EXPECT_EQ(*ReadFile(path), "x");
  }
  EXPECT_EQ(ListDir(dir + "/a/b/c").size(), 2u);
  struct stat st;
  ASSERT_EQ(stat((dir + "/a/b").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST(AtomicFile, ParentThatIsAFileIsAClearError) {
  const std::string dir = NewTempDir();
  ASSERT_TRUE(WriteFileAtomically(dir + "/models", "not a folder").ok());
  for (const std::string& path : {dir + "/models/dense.safetensors", dir + "/models/x/y.tsv"}) {
    absl::StatusOr<AtomicFile> file = AtomicFile::Open(path);
    ASSERT_FALSE(file.ok()) << path;
    EXPECT_EQ(file.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(file.status().message(),
              "cannot create the folder for " + path + ": " + dir + "/models exists and is not a folder");
  }
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{"models"});
}

// Forks a child that opens `path`, writes part of it, tells the parent, and waits to be
// killed by `sig`. Returns the child's wait status.
int KillChildMidWrite(const std::string& path, int sig) {
  int ready[2];
  if (pipe(ready) != 0) return -1;
  const pid_t child = fork();
  if (child == 0) {
    close(ready[0]);
    absl::StatusOr<AtomicFile> file = AtomicFile::Open(path);
    if (!file.ok() || !file->Write("half of it").ok() || std::fflush(file->stream()) != 0) _exit(3);
    if (write(ready[1], "r", 1) != 1) _exit(4);
    while (true) pause();
  }
  close(ready[1]);
  char byte;
  const bool started = read(ready[0], &byte, 1) == 1;
  close(ready[0]);
  if (started) kill(child, sig);
  int status = 0;
  waitpid(child, &status, 0);
  return status;
}

TEST(AtomicFile, ASignalRemovesTheTemporaryFileAndStillEndsTheProcess) {
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
    const std::string dir = NewTempDir();
    const int status = KillChildMidWrite(dir + "/sub/out.npy", sig);
    ASSERT_TRUE(WIFSIGNALED(status)) << "signal " << sig << ": wait status " << status;
    EXPECT_EQ(WTERMSIG(status), sig);
    EXPECT_TRUE(ListDir(dir + "/sub").empty()) << "signal " << sig << " left " << ListDir(dir + "/sub")[0];
  }
}

TEST(AtomicFile, AForkedChildsSignalLeavesTheParentsFileAlone) {
  const std::string dir = NewTempDir();
  absl::StatusOr<AtomicFile> file = AtomicFile::Open(dir + "/out.txt");
  ASSERT_TRUE(file.ok());
  const pid_t child = fork();
  if (child == 0) raise(SIGTERM);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(ListDir(dir).size(), 1u) << "the parent's temporary file is gone";
  ASSERT_TRUE(file->Write("whole").ok());
  ASSERT_TRUE(file->Commit().ok());
  EXPECT_EQ(*ReadFile(dir + "/out.txt"), "whole");
}

TEST(ReadFile, MissingFileNamesThePath) {
  absl::StatusOr<std::string> data = ReadFile("/no/such/file");
  ASSERT_FALSE(data.ok());
  EXPECT_TRUE(absl::IsNotFound(data.status()));
  EXPECT_NE(std::string(data.status().message()).find("/no/such/file"), std::string::npos);
}

}  // namespace
}  // namespace attn::io
