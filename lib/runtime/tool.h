// Process set-up and exit conventions shared by every tool (DESIGN.md section 8).
#ifndef ATTN_LIB_RUNTIME_TOOL_H_
#define ATTN_LIB_RUNTIME_TOOL_H_

#include <string>

#include "absl/status/status.h"

namespace attn::runtime {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Parses flags (an unknown flag or a bad value exits with kExitUsage, not gflags' 1),
// sends glog to stderr and names the tool in error lines.
void InitTool(int* argc, char*** argv, const char* usage);

// Worker threads the user asked for with --threads (0, the default, means all cores).
int Threads();

// The tool's name as InitTool recorded it ("tool" before InitTool).
const std::string& ToolName();

// Prints "tool: message" as one line on stderr and returns kExitUsage.
int UsageError(const std::string& message);

// Prints "tool: <status message>" as one line on stderr and returns kExitFailure,
// or kExitUsage for kInvalidArgument, which library code uses for bad flag values.
int Fail(const absl::Status& status);

// A path as the user meant it: "-" and absolute paths are kept; relative paths resolve
// against BUILD_WORKING_DIRECTORY under `bazel run`, otherwise against the cwd.
std::string ResolvePath(const std::string& path);

}  // namespace attn::runtime

#endif  // ATTN_LIB_RUNTIME_TOOL_H_
