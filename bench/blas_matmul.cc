// Prints GFLOP/s of a 1024x1024 matmul through LibTorch, in float or bfloat16.
#include <chrono>
#include <iostream>
#include <string>

#include "gflags/gflags.h"
#include "lib/runtime/tool.h"
#include "lib/runtime/torch_runtime.h"
#include "torch/torch.h"
#include "tools/tool_main.h"
#include "tools/torch_main.h"

DEFINE_bool(startup, true, "run the start-up routine (fast BLAS kernels) first");
DEFINE_int32(n, 1024, "matrix size");
DEFINE_int32(reps, 30, "timed repetitions");
DEFINE_string(dtype, "fp32", "fp32 or bf16 (operands; LibTorch accumulates bf16 products in float)");

int main(int argc, char** argv) {
  // --startup picks the initialiser, so it is read before the flags are parsed.
  bool startup = true;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--startup=false" || std::string(argv[i]) == "--nostartup") {
      startup = false;
    }
  }
  const char* usage = "blas_matmul [--startup=false] [--n=1024] [--dtype=fp32|bf16] [--threads=N]";
  if (startup) {
    attn::tools::InitTorchMain(&argc, &argv, usage);
  } else {
    attn::tools::InitMain(&argc, &argv, usage);
    at::set_num_threads(attn::runtime::Threads());
  }
  if (FLAGS_dtype != "fp32" && FLAGS_dtype != "bf16") {
    return attn::runtime::UsageError("--dtype=" + FLAGS_dtype + " is not known; use fp32 or bf16");
  }
  const torch::ScalarType dtype = FLAGS_dtype == "bf16" ? torch::kBFloat16 : torch::kFloat;
  const int n = FLAGS_n;
  const torch::Tensor a = torch::randn({n, n}).to(dtype);
  const torch::Tensor b = torch::randn({n, n}).to(dtype);
  for (int i = 0; i < 3; ++i) a.matmul(b);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < FLAGS_reps; ++i) a.matmul(b);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << (startup ? "with start-up routine:    " : "without start-up routine: ")
            << 2.0 * n * n * n * FLAGS_reps / s / 1e9 << " GFLOP/s " << FLAGS_dtype << ", "
            << at::get_num_threads()
            << " threads, " << attn::runtime::BlasDescription() << std::endl;
  return 0;
}
