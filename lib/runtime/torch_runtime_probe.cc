// Test helper: runs the start-up routine and prints the BLAS it ended with.
#include <iostream>

#include "lib/runtime/torch_runtime.h"

int main(int argc, char** argv) {
  attn::runtime::ToolSetup setup;
  setup.usage = "torch_runtime_probe";
  attn::runtime::InitTorchTool(&argc, &argv, setup);
  std::cout << attn::runtime::BlasDescription() << std::endl;
  return 0;
}
