#include "lib/runtime/version.h"

#include "absl/strings/str_cat.h"
#include "lib/runtime/build_commit.h"

namespace attn::runtime {

std::string VersionLine() {
  const std::string tree = kBuildTree;
  return absl::StrCat("attn ", kProjectVersion, ", commit ", kBuildCommit,
                      tree.empty() ? "" : absl::StrCat(" (", tree, ")"));
}

}  // namespace attn::runtime
