// The --help text of a tool: its usage and example, then its own flags, the ones defined
// in this repository's files (tools/, bench/, lib/ test mains), without the flags of
// gflags, glog and LibTorch, which --helpfull lists.
#ifndef ATTN_LIB_RUNTIME_FLAG_HELP_H_
#define ATTN_LIB_RUNTIME_FLAG_HELP_H_

#include <string>
#include <vector>

namespace attn::runtime {

struct FlagDescription {
  std::string name, type, description, default_value;
  std::string file;  // where it is defined, as the compiler named it ("tools/x_main.cc")
};

// True for a flag defined in this repository (its file is under tools/, bench/ or lib/).
bool IsOwnFlag(const FlagDescription& flag);

// The usage, a blank line, then one line per own flag, "  --name=default  description",
// those of the file named like the tool (tools/<tool>_main.cc) first, the shared ones
// after, each group sorted by name; then a line pointing to --helpfull and --version.
std::string HelpText(const std::string& tool, const std::string& usage,
                     const std::vector<FlagDescription>& flags);

}  // namespace attn::runtime

#endif  // ATTN_LIB_RUNTIME_FLAG_HELP_H_
