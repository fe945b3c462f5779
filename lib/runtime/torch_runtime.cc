#include "lib/runtime/torch_runtime.h"

#include <dlfcn.h>
#include <malloc.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "glog/logging.h"
#include "lib/runtime/tool.h"
#include "torch/torch.h"

namespace attn::runtime {
namespace {

// Marks a process we re-executed, so a choice is made at most once per kernel.
constexpr char kReexecMarker[] = "ATTN_BLAS_CORETYPE_SET";

[[noreturn]] void ReexecWithCoretype(char** argv, const char* coretype) {
  setenv("OPENBLAS_CORETYPE", coretype, /*overwrite=*/1);
  setenv(kReexecMarker, coretype, 1);
  execv("/proc/self/exe", argv);
  // exec failed: carry on is impossible to express here, so say why and stop.
  std::perror("re-exec for OPENBLAS_CORETYPE failed");
  std::exit(kExitFailure);
}

const char* OpenBlasCoreName() {
  using Fn = char* (*)();
  auto corename = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  return corename == nullptr ? nullptr : corename();
}

// OpenBLAS has already chosen its kernels by now (it loads with the binary); when it fell
// back to the generic Prescott ones on a CPU that can do better, choose for it.
void ChooseFastBlasKernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
  if (std::getenv(kReexecMarker) != nullptr) return;
  const char* core = OpenBlasCoreName();
  if (core == nullptr || std::strcmp(core, "Prescott") != 0) return;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) ReexecWithCoretype(argv, "SkylakeX");
  if (__builtin_cpu_supports("avx2")) ReexecWithCoretype(argv, "Haswell");
}

// glibc hands large freed blocks back to the kernel, and the next training step or
// attention record faults every page in again; on VMs page faults can cost more than the
// arithmetic. Keep freed memory in the process instead: blocks up to 32 MiB come from the
// heap, and the heap is not trimmed below 1 GiB of free space.
void KeepFreedMemory() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 << 20);
}

}  // namespace

std::string BlasDescription() {
  using Fn = char* (*)();
  auto config = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
  const char* core = OpenBlasCoreName();
  if (core == nullptr || config == nullptr) return "BLAS is not OpenBLAS";
  return std::string(config()) + " core=" + core;
}

double MatmulSelfCheckError() {
  constexpr int n = 64;
  torch::manual_seed(1);
  const torch::Tensor a = torch::randn({n, n});
  const torch::Tensor b = torch::randn({n, n});
  const torch::Tensor c = a.matmul(b);
  const auto pa = a.accessor<float, 2>();
  const auto pb = b.accessor<float, 2>();
  const auto pc = c.accessor<float, 2>();
  double worst = 0;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      double want = 0, scale = 0;
      for (int k = 0; k < n; ++k) {
        want += static_cast<double>(pa[i][k]) * pb[k][j];
        scale += std::fabs(static_cast<double>(pa[i][k]) * pb[k][j]);
      }
      worst = std::max(worst, std::fabs(pc[i][j] - want) / (scale + 1e-30));
    }
  }
  return worst;
}

void InitTorchTool(int* argc, char*** argv, const ToolSetup& setup) {
  ChooseFastBlasKernels(*argv);
  // Flag parsing reorders argv in place; keep the original for a fallback re-exec.
  std::vector<std::string> args(*argv, *argv + *argc);
  InitTool(argc, argv, setup);
  KeepFreedMemory();
  at::set_num_threads(Threads());
  const char* chosen = std::getenv(kReexecMarker);
  if (MatmulSelfCheckError() > 1e-5) {
    if (chosen != nullptr && std::strcmp(chosen, "Haswell") != 0) {
      LOG(WARNING) << "BLAS kernels " << chosen << " failed the matmul check; using Haswell";
      std::vector<char*> original_argv;
      for (std::string& arg : args) original_argv.push_back(arg.data());
      original_argv.push_back(nullptr);
      ReexecWithCoretype(original_argv.data(), "Haswell");
    }
    LOG(ERROR) << "the BLAS in use (" << BlasDescription()
               << ") computes a wrong matmul; results cannot be trusted";
    std::exit(kExitFailure);
  }
  VLOG(1) << BlasDescription() << ", " << at::get_num_threads() << " threads";
}

}  // namespace attn::runtime
