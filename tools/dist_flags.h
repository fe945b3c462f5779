// The data-parallel flags of the training tools (and of the tests' worker): a job's rank,
// world size and rendezvous, else the torchrun environment (lib/dist/dist_config.h).
#ifndef ATTN_TOOLS_DIST_FLAGS_H_
#define ATTN_TOOLS_DIST_FLAGS_H_

#include "absl/status/statusor.h"
#include "lib/dist/dist_config.h"

namespace attn::tools {

// The flags the user gave, resolved against this process's environment.
absl::StatusOr<dist::DistConfig> DistConfigFromFlags();

}  // namespace attn::tools

#endif  // ATTN_TOOLS_DIST_FLAGS_H_
