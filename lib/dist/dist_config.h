// Where a process stands in a data-parallel job: its rank, the world size and the
// rendezvous address, read the way torchrun and Slurm wrappers pass them (environment
// variables RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) or from the options
// rank, world_size, local_rank, master_addr, master_port (flags of the tools, in
// tools/dist_flags), which win when given.
#ifndef ATTN_LIB_DIST_DIST_CONFIG_H_
#define ATTN_LIB_DIST_DIST_CONFIG_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace attn::dist {

enum class Backend { kGloo, kNccl };

struct DistConfig {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;  // PyTorch's default
  Backend backend = Backend::kGloo;
  // How long a rank waits for the others at the rendezvous and inside each collective
  // before it gives up with an error (a rank that died is usually noticed at once).
  double timeout_s = 300;

  bool distributed() const { return world_size > 1; }
};

// The options as given on the command line; nullopt where the user did not give one.
struct DistFlags {
  std::optional<int> rank, world_size, local_rank, master_port;
  std::optional<std::string> master_addr;
  std::string dist_backend = "gloo";
  double dist_timeout_s = 300;
};

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// Flags first, then the environment, then the single-process defaults. A job is
// distributed only when the world size is above 1. Errors are kInvalidArgument and
// name the option or variable at fault.
absl::StatusOr<DistConfig> ResolveDistConfig(const DistFlags& flags, const EnvLookup& env);

// This process's environment.
EnvLookup ProcessEnvironment();

const char* BackendName(Backend backend);

}  // namespace attn::dist

#endif  // ATTN_LIB_DIST_DIST_CONFIG_H_
