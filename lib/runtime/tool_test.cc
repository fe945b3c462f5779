#include "lib/runtime/tool.h"

#include <cstdlib>
#include <stdexcept>

#include "absl/status/status.h"
#include "gflags/gflags.h"
#include "gtest/gtest.h"
#include "lib/runtime/option_names.h"

DEFINE_int64(seq_len, 128, "a flag for the spelling test");

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

TEST(SpellForThisTool, MarkedOptionsBecomeThisProgramsFlags) {
  EXPECT_EQ(SpellForThisTool(Opt("seq_len") + "=2000 is longer than " + Opt("max_len")),
            "--seq_len=2000 is longer than max_len");
}

TEST(RunCommand, ExitCodesFollowTheStatusAndExceptionsDoNotEscape) {
  EXPECT_EQ(RunCommand([] { return absl::OkStatus(); }), kExitOk);
  EXPECT_EQ(RunCommand([] { return absl::CancelledError("reader went away"); }), kExitOk);
  EXPECT_EQ(RunCommand([] { return absl::InvalidArgumentError("bad"); }), kExitUsage);
  EXPECT_EQ(RunCommand([] { return absl::DataLossError("truncated"); }), kExitFailure);
  EXPECT_EQ(RunCommand([]() -> absl::Status { throw std::runtime_error("boom\nbacktrace"); }),
            kExitFailure);
  EXPECT_EQ(RunCommand([]() -> absl::Status { throw 42; }), kExitFailure);
}

TEST(InputError, AParsersInvalidArgumentIsARuntimeFailure) {
  const absl::Status s = InputError(absl::InvalidArgumentError("x.safetensors: not safetensors"));
  EXPECT_TRUE(absl::IsFailedPrecondition(s));
  EXPECT_EQ(s.message(), "x.safetensors: not safetensors");
  EXPECT_TRUE(absl::IsNotFound(InputError(absl::NotFoundError("missing"))));
}

}  // namespace
}  // namespace attn::runtime
