#include "lib/dist/dist_config.h"

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/runtime/option_checks.h"
#include "lib/runtime/option_names.h"

namespace attn::dist {
namespace {

absl::StatusOr<int> ParseInt(const std::string& name, const std::string& text) {
  int value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("environment variable ", name, "=\"", text, "\" is not an integer"));
  }
  return value;
}

// The flag if given, else the variable if set, else nullopt.
absl::StatusOr<std::optional<int>> IntSetting(const std::optional<int>& flag,
                                              const std::string& variable,
                                              const EnvLookup& env) {
  if (flag) return flag;
  std::optional<std::string> text = env(variable);
  if (!text || text->empty()) return std::optional<int>();
  absl::StatusOr<int> value = ParseInt(variable, *text);
  if (!value.ok()) return value.status();
  return std::optional<int>(*value);
}

}  // namespace

const char* BackendName(Backend backend) {
  return backend == Backend::kNccl ? "nccl" : "gloo";
}

absl::StatusOr<DistConfig> ResolveDistConfig(const DistFlags& flags, const EnvLookup& env) {
  DistConfig config;
  absl::StatusOr<std::optional<int>> world_size = IntSetting(flags.world_size, "WORLD_SIZE", env);
  if (!world_size.ok()) return world_size.status();
  absl::StatusOr<std::optional<int>> rank = IntSetting(flags.rank, "RANK", env);
  if (!rank.ok()) return rank.status();
  absl::StatusOr<std::optional<int>> local_rank = IntSetting(flags.local_rank, "LOCAL_RANK", env);
  if (!local_rank.ok()) return local_rank.status();
  absl::StatusOr<std::optional<int>> port = IntSetting(flags.master_port, "MASTER_PORT", env);
  if (!port.ok()) return port.status();

  config.world_size = world_size->value_or(1);
  if (config.world_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "world size ", config.world_size, " (", runtime::Opt("world_size"),
        " or WORLD_SIZE) must be at least 1"));
  }
  if (config.world_size > 1 && !rank->has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the world size is ", config.world_size,
        " but this process has no rank: set ", runtime::Opt("rank"), " or RANK (0..",
        config.world_size - 1, ")"));
  }
  config.rank = rank->value_or(0);
  if (config.rank < 0 || config.rank >= config.world_size) {
    return absl::InvalidArgumentError(absl::StrCat("rank ", config.rank, " (", runtime::Opt("rank"),
                                                   " or RANK) is not in 0..",
                                                   config.world_size - 1, " for world size ",
                                                   config.world_size));
  }
  config.local_rank = local_rank->value_or(0);
  if (config.local_rank < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("local rank ", config.local_rank, " (", runtime::Opt("local_rank"),
                     " or LOCAL_RANK) is negative"));
  }
  config.master_port = port->value_or(config.master_port);
  if (config.master_port < 1 || config.master_port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "master port ", config.master_port, " (", runtime::Opt("master_port"),
        " or MASTER_PORT) is not in 1..65535"));
  }
  if (flags.master_addr) {
    config.master_addr = *flags.master_addr;
  } else if (std::optional<std::string> addr = env("MASTER_ADDR"); addr && !addr->empty()) {
    config.master_addr = *addr;
  }
  if (config.master_addr.empty()) {
    return absl::InvalidArgumentError(runtime::Opt("master_addr") +
                                      " is empty: give the host of rank 0");
  }
  if (flags.dist_backend == "gloo") {
    config.backend = Backend::kGloo;
  } else if (flags.dist_backend == "nccl") {
    config.backend = Backend::kNccl;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        runtime::Opt("dist_backend"), "=", flags.dist_backend, " is not one of gloo, nccl"));
  }
  if (absl::Status s =
          runtime::CheckNumber("dist_timeout_s", flags.dist_timeout_s, runtime::kPositive);
      !s.ok()) {
    return s;
  }
  config.timeout_s = flags.dist_timeout_s;
  return config;
}

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

}  // namespace attn::dist
