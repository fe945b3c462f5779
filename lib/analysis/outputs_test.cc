#include "lib/analysis/outputs.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "lib/io/atomic_file.h"

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

TEST(WriteOutputs, WritesEveryWantedOutput) {
  const std::string dir = TempDir("all");
  ASSERT_TRUE(WriteOutputs({{"output", dir + "/main.csv", "a\n"},
                            {"centroids", "", "not wanted"},
                            {"per_sample", dir + "/side.csv", "b\n"}})
                  .ok());
  EXPECT_EQ(*io::ReadFile(dir + "/main.csv"), "a\n");
  EXPECT_EQ(*io::ReadFile(dir + "/side.csv"), "b\n");
  EXPECT_EQ(Entries(dir), 2);
}

TEST(WriteOutputs, AnUnwritableSideOutputLeavesNothing) {
  const std::string dir = TempDir("none");
  const absl::Status s =
      WriteOutputs({{"output", dir + "/main.csv", "a\n"}, {"profiles", dir + "/no/such/x", "b"}});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Entries(dir), 0);
}

TEST(WriteOutputs, RefusesTwoOutputsInOnePlace) {
  const std::string dir = TempDir("same");
  EXPECT_EQ(WriteOutputs({{"output", dir + "/x", "a"}, {"centroids", dir + "/x", "b"}}).message(),
            "output and centroids name the same file '" + dir + "/x'");
  EXPECT_EQ(WriteOutputs({{"output", "-", "a"}, {"per_sample", "-", "b"}}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Entries(dir), 0);
}

}  // namespace
}  // namespace attn::analysis
