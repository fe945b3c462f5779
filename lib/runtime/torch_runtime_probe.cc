// Test helper: runs the start-up routine and prints the BLAS, the thread count and the
// OpenMP wait policy it ended with.
#include <cstdlib>
#include <iostream>

#include "lib/runtime/torch_runtime.h"
#include "torch/torch.h"

int main(int argc, char** argv) {
  attn::runtime::InitTorchTool(&argc, &argv, "torch_runtime_probe");
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  std::cout << attn::runtime::BlasDescription() << "\nthreads=" << at::get_num_threads()
            << "\nOMP_WAIT_POLICY=" << (policy == nullptr ? "unset" : policy) << std::endl;
  return 0;
}
