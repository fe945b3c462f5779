// What --version says about the build: the project's version and the commit it was built
// from (Bazel workspace status, scripts/workspace_status.sh; only the small generated
// header and the link depend on it, so builds stay cached).
#ifndef ATTN_LIB_RUNTIME_VERSION_H_
#define ATTN_LIB_RUNTIME_VERSION_H_

#include <string>

namespace attn::runtime {

inline constexpr char kProjectVersion[] = "0.1.0";

// "attn 0.1.0, commit 6be29e2b5add (with local changes)"; "commit unknown" for a build
// outside a git checkout or without the workspace status command.
std::string VersionLine();

}  // namespace attn::runtime

#endif  // ATTN_LIB_RUNTIME_VERSION_H_
