#include "lib/runtime/tool.h"

#include <cstdlib>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace attn::runtime {
namespace {

TEST(ResolvePath, KeepsStdioAndAbsolutePaths) {
  setenv("BUILD_WORKING_DIRECTORY", "/home/me/work", 1);
  EXPECT_EQ(ResolvePath("-"), "-");
  EXPECT_EQ(ResolvePath("/data/x"), "/data/x");
  EXPECT_EQ(ResolvePath(""), "");
}

TEST(ResolvePath, RelativeToBazelRunDirectory) {
  setenv("BUILD_WORKING_DIRECTORY", "/home/me/work", 1);
  EXPECT_EQ(ResolvePath("data/enwik8"), "/home/me/work/data/enwik8");
  unsetenv("BUILD_WORKING_DIRECTORY");
  EXPECT_EQ(ResolvePath("data/enwik8"), "data/enwik8");
}

TEST(Fail, InvalidArgumentIsAUsageError) {
  EXPECT_EQ(Fail(absl::InvalidArgumentError("bad flag")), kExitUsage);
  EXPECT_EQ(Fail(absl::NotFoundError("no file")), kExitFailure);
  EXPECT_EQ(UsageError("x"), kExitUsage);
}

}  // namespace
}  // namespace attn::runtime
