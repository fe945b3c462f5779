#include "tools/dist_flags.h"

#include <optional>

#include "gflags/gflags.h"

DEFINE_int32(rank, 0, "This process's rank in a data-parallel job, 0..world_size-1 (else $RANK).");
DEFINE_int32(world_size, 1, "Number of processes in the data-parallel job (else $WORLD_SIZE, else 1).");
DEFINE_int32(local_rank, 0, "This process's rank on its machine (else $LOCAL_RANK).");
DEFINE_string(master_addr, "127.0.0.1",
              "Host of rank 0, which serves the rendezvous (else $MASTER_ADDR, else 127.0.0.1).");
DEFINE_int32(master_port, 29500, "TCP port of the rendezvous on rank 0 (else $MASTER_PORT, else 29500).");
DEFINE_string(dist_backend, "gloo",
              "Collective backend: gloo (CPU) or nccl (only in a LibTorch built with CUDA).");
DEFINE_double(dist_timeout_s, 300,
              "Seconds a rank waits for the others (rendezvous, each collective) before it "
              "stops with an error.");

namespace attn::tools {
namespace {

bool Given(const char* name) { return !gflags::GetCommandLineFlagInfoOrDie(name).is_default; }

std::optional<int> IfGiven(const char* name, int value) {
  return Given(name) ? std::optional<int>(value) : std::nullopt;
}

}  // namespace

absl::StatusOr<dist::DistConfig> DistConfigFromFlags() {
  dist::DistFlags flags;
  flags.rank = IfGiven("rank", FLAGS_rank);
  flags.world_size = IfGiven("world_size", FLAGS_world_size);
  flags.local_rank = IfGiven("local_rank", FLAGS_local_rank);
  flags.master_port = IfGiven("master_port", FLAGS_master_port);
  if (Given("master_addr")) flags.master_addr = FLAGS_master_addr;
  flags.dist_backend = FLAGS_dist_backend;
  flags.dist_timeout_s = FLAGS_dist_timeout_s;
  return dist::ResolveDistConfig(flags, dist::ProcessEnvironment());
}

}  // namespace attn::tools
