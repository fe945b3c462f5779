// What every main does first: parse its flags and set up the runtime with the flags all
// tools share (--threads, defined here). See lib/runtime/tool.h for how a tool is built.
#ifndef ATTN_TOOLS_TOOL_MAIN_H_
#define ATTN_TOOLS_TOOL_MAIN_H_

#include "lib/runtime/tool.h"

namespace attn::tools {

// The shared settings from the parsed flags.
runtime::ToolSettings SharedSettings();

// runtime::InitTool with the shared flags; `usage` is the usage line and an example.
void InitMain(int* argc, char*** argv, const char* usage);

}  // namespace attn::tools

#endif  // ATTN_TOOLS_TOOL_MAIN_H_
