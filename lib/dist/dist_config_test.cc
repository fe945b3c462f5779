#include "lib/dist/dist_config.h"

#include <cmath>
#include <map>
#include <string>

#include "gtest/gtest.h"

namespace attn::dist {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ResolveDistConfig, NothingSetIsASingleProcess) {
  absl::StatusOr<DistConfig> c = ResolveDistConfig({}, Env({}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->world_size, 1);
  EXPECT_EQ(c->rank, 0);
  EXPECT_FALSE(c->distributed());
  EXPECT_EQ(c->backend, Backend::kGloo);
}

TEST(ResolveDistConfig, ReadsTorchrunEnvironment) {
  absl::StatusOr<DistConfig> c = ResolveDistConfig(
      {}, Env({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"},
               {"MASTER_ADDR", "node7"}, {"MASTER_PORT", "1234"}}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->rank, 3);
  EXPECT_EQ(c->world_size, 4);
  EXPECT_EQ(c->local_rank, 1);
  EXPECT_EQ(c->master_addr, "node7");
  EXPECT_EQ(c->master_port, 1234);
  EXPECT_TRUE(c->distributed());
}

TEST(ResolveDistConfig, FlagsWinOverEnvironment) {
  DistFlags flags;
  flags.rank = 0;
  flags.world_size = 2;
  flags.master_addr = "10.0.0.1";
  flags.master_port = 4321;
  flags.dist_backend = "nccl";
  flags.dist_timeout_s = 7;
  absl::StatusOr<DistConfig> c = ResolveDistConfig(
      flags, Env({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"MASTER_ADDR", "node7"}, {"MASTER_PORT", "1"}}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->rank, 0);
  EXPECT_EQ(c->world_size, 2);
  EXPECT_EQ(c->master_addr, "10.0.0.1");
  EXPECT_EQ(c->master_port, 4321);
  EXPECT_EQ(c->backend, Backend::kNccl);
  EXPECT_EQ(c->timeout_s, 7);
}

void ExpectError(const DistFlags& flags, std::map<std::string, std::string> env,
                 const std::string& fragment) {
  absl::StatusOr<DistConfig> c = ResolveDistConfig(flags, Env(std::move(env)));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find(fragment), std::string::npos) << c.status();
}

TEST(ResolveDistConfig, ClearErrors) {
  ExpectError({}, {{"WORLD_SIZE", "two"}}, "WORLD_SIZE=\"two\" is not an integer");
  ExpectError({}, {{"WORLD_SIZE", "2"}}, "set `rank` or RANK (0..1)");
  ExpectError({}, {{"WORLD_SIZE", "2"}, {"RANK", "2"}}, "rank 2 (`rank` or RANK) is not in 0..1");
  ExpectError({}, {{"WORLD_SIZE", "0"}}, "must be at least 1");
  ExpectError({}, {{"MASTER_PORT", "70000"}}, "not in 1..65535");
  DistFlags bad_backend;
  bad_backend.dist_backend = "mpi";
  ExpectError(bad_backend, {}, "`dist_backend`=mpi is not one of gloo, nccl");
  DistFlags bad_timeout;
  bad_timeout.dist_timeout_s = 0;
  ExpectError(bad_timeout, {}, "`dist_timeout_s`=0 must be a finite number > 0");
  bad_timeout.dist_timeout_s = std::nan("");
  ExpectError(bad_timeout, {}, "`dist_timeout_s`=nan must be a finite number > 0");
}

}  // namespace
}  // namespace attn::dist
