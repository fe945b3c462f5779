#include "lib/analysis/outputs.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace attn::analysis {
namespace {

std::string TempDir(const std::string& name) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  mkdir(dir.c_str(), 0755);
  return dir;
}

int Entries(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  int n = 0;
  while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

TEST(Outputs, WritesEveryWantedOutputOnlyAtCommit) {
  const std::string dir = TempDir("all");
  absl::StatusOr<Outputs> out = Outputs::Open(
      {{"output", dir + "/main.csv"}, {"centroids", ""}, {"per_sample", dir + "/side.csv"}});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->wanted(0));
  EXPECT_FALSE(out->wanted(1));
  EXPECT_NE(Entries(dir), 0);  // the temporary files
  EXPECT_FALSE(io::ReadFile(dir + "/main.csv").ok());
  ASSERT_TRUE(out->Commit({"a\n", "not wanted", "b\n"}).ok());
  EXPECT_EQ(*io::ReadFile(dir + "/main.csv"), "a\n");
  EXPECT_EQ(*io::ReadFile(dir + "/side.csv"), "b\n");
  EXPECT_EQ(Entries(dir), 2);
}

TEST(Outputs, AnUnwritableOutputFailsAtOpenAndLeavesNothing) {
  const std::string dir = TempDir("none");
  const std::string not_a_dir = dir + "/file";
  {
    absl::StatusOr<Outputs> out = Outputs::Open({{"output", dir + "/main.csv"}});
    ASSERT_TRUE(out.ok());
    ASSERT_TRUE(out->Commit({"x"}).ok());
    rename((dir + "/main.csv").c_str(), not_a_dir.c_str());
  }
  absl::StatusOr<Outputs> out =
      Outputs::Open({{"output", dir + "/main.csv"}, {"profiles", not_a_dir + "/x"}});
  EXPECT_FALSE(out.ok());
  EXPECT_NE(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Entries(dir), 1);  // the file that stood in the way
  // An output abandoned before Commit leaves nothing either.
  { ASSERT_TRUE(Outputs::Open({{"output", dir + "/later.csv"}}).ok()); }
  EXPECT_EQ(Entries(dir), 1);
}

TEST(Outputs, RefusesTwoOutputsInOnePlace) {
  const std::string dir = TempDir("same");
  EXPECT_EQ(Outputs::Open({{"output", dir + "/x"}, {"centroids", dir + "/x"}}).status().message(),
            "`output` and `centroids` name the same file '" + dir + "/x'");
  EXPECT_EQ(Outputs::Open({{"output", "-"}, {"per_sample", "-"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Entries(dir), 0);
}

}  // namespace
}  // namespace attn::analysis
