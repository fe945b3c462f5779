#include "tools/torch_main.h"

#include <string>

#include "lib/runtime/torch_runtime.h"
#include "tools/tool_main.h"
#include "torch/version.h"

namespace attn::tools {
namespace {

std::string TorchVersionLines() {
  // Debian's libtorch 1.13.1 ships headers that say 1.13.0; there is no run-time query.
  return std::string("LibTorch ") + TORCH_VERSION + " (as its headers say)\nBLAS: " +
         runtime::BlasDescription() + "\n";
}

}  // namespace

void InitTorchMain(int* argc, char*** argv, const char* usage) {
  runtime::ToolSetup setup;
  setup.usage = usage;
  setup.settings = &SharedSettings;
  setup.version_details = &TorchVersionLines;
  runtime::InitTorchTool(argc, argv, setup);
}

}  // namespace attn::tools
