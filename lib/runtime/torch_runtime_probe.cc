// Test helper: runs the start-up routine and prints the BLAS, the thread count and the
// OpenMP wait policy it ended with.
#include <cstdlib>
#include <iostream>

#include "gflags/gflags.h"
#include "lib/runtime/tool.h"
#include "lib/runtime/torch_runtime.h"
#include "torch/torch.h"

DEFINE_int32(threads, 0, "worker threads; 0: the default");

namespace {

attn::runtime::ToolSettings Settings() {
  attn::runtime::ToolSettings settings;
  settings.threads = FLAGS_threads;
  return settings;
}

}  // namespace

int main(int argc, char** argv) {
  attn::runtime::ToolSetup setup;
  setup.usage = "torch_runtime_probe";
  setup.settings = &Settings;
  attn::runtime::InitTorchTool(&argc, &argv, setup);
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  std::cout << attn::runtime::BlasDescription() << "\nthreads=" << at::get_num_threads()
            << "\nOMP_WAIT_POLICY=" << (policy == nullptr ? "unset" : policy) << std::endl;
  return 0;
}
