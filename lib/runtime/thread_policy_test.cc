#include "lib/runtime/thread_policy.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace attn::runtime {
namespace {

// MAKEFLAGS as GNU make 4.3 passes it to recipes (checked by hand with `make -jN`).
TEST(MakeJobs, ReadsMakeflags) {
  EXPECT_EQ(MakeJobs(""), 1);
  EXPECT_EQ(MakeJobs("s"), 1);
  EXPECT_EQ(MakeJobs("s -j2 --jobserver-auth=3,4"), 2);
  EXPECT_EQ(MakeJobs(" -j16 --jobserver-auth=3,4"), 16);
  EXPECT_EQ(MakeJobs("s -j"), 0);  // no limit
  EXPECT_EQ(MakeJobs("--jobs=3"), 3);
  EXPECT_EQ(MakeJobs("--jobs"), 0);
  EXPECT_EQ(MakeJobs("ks --no-print-directory"), 1);
  EXPECT_EQ(MakeJobs("-jx"), 1);   // not a count: ignored
  EXPECT_EQ(MakeJobs("-j0"), 1);
  // After "--" come variable assignments, which may contain anything.
  EXPECT_EQ(MakeJobs("s -- FLAGS=-j8"), 1);
  EXPECT_EQ(MakeJobs("-j4 -- X=-j8"), 4);
}

TEST(DefaultThreads, DividesTheCoresAmongMakeJobs) {
  EXPECT_EQ(DefaultThreads(2, 1), 2);
  EXPECT_EQ(DefaultThreads(2, 2), 1);
  EXPECT_EQ(DefaultThreads(8, 2), 4);
  EXPECT_EQ(DefaultThreads(8, 3), 2);
  EXPECT_EQ(DefaultThreads(2, 4), 1);   // never below one
  EXPECT_EQ(DefaultThreads(16, 0), 1);  // unlimited -j: a job per core
  EXPECT_EQ(DefaultThreads(0, 1), 1);
}

TEST(UsableCores, AtLeastOne) { EXPECT_GE(UsableCores(), 1); }

std::map<std::string, std::string> EnvironmentWith(int threads, std::map<std::string, std::string> env) {
  return ThreadEnvironment(threads, [&env](const char* name) -> const char* {
    const auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

TEST(ThreadEnvironment, PassiveWaitingForSeveralThreads) {
  using Env = std::map<std::string, std::string>;
  const Env passive = {{"OMP_WAIT_POLICY", "PASSIVE"}, {"OPENBLAS_THREAD_TIMEOUT", "4"}};
  EXPECT_EQ(EnvironmentWith(2, {}), passive);
  EXPECT_EQ(EnvironmentWith(8, {{"PATH", "/bin"}}), passive);
  // One thread never waits for another: nothing to set (and no re-exec to pay for).
  EXPECT_EQ(EnvironmentWith(1, {}), Env{});
  // The user's own choices win.
  EXPECT_EQ(EnvironmentWith(2, {{"OMP_WAIT_POLICY", "ACTIVE"}}), (Env{{"OPENBLAS_THREAD_TIMEOUT", "4"}}));
  EXPECT_EQ(EnvironmentWith(2, {{"GOMP_SPINCOUNT", "10000"}}), (Env{{"OPENBLAS_THREAD_TIMEOUT", "4"}}));
  EXPECT_EQ(EnvironmentWith(2, {{"OMP_WAIT_POLICY", "ACTIVE"}, {"OPENBLAS_THREAD_TIMEOUT", "20"}}), Env{});
}

}  // namespace
}  // namespace attn::runtime
