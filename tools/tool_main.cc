#include "tools/tool_main.h"

#include "gflags/gflags.h"

DEFINE_int32(threads, 0,
             "worker threads; 0: the cores divided among the jobs of a parallel make");

namespace attn::tools {

runtime::ToolSettings SharedSettings() {
  runtime::ToolSettings settings;
  settings.threads = FLAGS_threads;
  return settings;
}

void InitMain(int* argc, char*** argv, const char* usage) {
  runtime::ToolSetup setup;
  setup.usage = usage;
  setup.settings = &SharedSettings;
  runtime::InitTool(argc, argv, setup);
}

}  // namespace attn::tools
