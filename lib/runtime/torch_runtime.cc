#include "lib/runtime/torch_runtime.h"

#include <dlfcn.h>
#include <malloc.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "glog/logging.h"
#include "lib/runtime/cpu_features.h"
#include "lib/runtime/thread_policy.h"
#include "lib/runtime/tool.h"
#include "torch/torch.h"

namespace attn::runtime {
namespace {

// Marks a process we re-executed with the OpenBLAS kernels we chose (the value), so that a
// fallback from those kernels happens at most once.
constexpr char kCoretypeMarker[] = "ATTN_BLAS_CORETYPE_SET";

// Sets the variables and runs this binary again with the original arguments: OpenBLAS and
// the OpenMP runtime read their environment only when they load. The new process finds
// them set and needs no further re-exec.
[[noreturn]] void Reexec(const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& environment) {
  for (const auto& [name, value] : environment) setenv(name.c_str(), value.c_str(), /*overwrite=*/1);
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  execv("/proc/self/exe", argv.data());
  // exec failed: carrying on is impossible to express here, so say why and stop.
  std::perror("re-exec to set the libraries' environment failed");
  std::exit(kExitFailure);
}

const char* OpenBlasCoreName() {
  using Fn = char* (*)();
  auto corename = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  return corename == nullptr ? nullptr : corename();
}

// OpenBLAS has already chosen its kernels by now (it loads with the binary); when it fell
// back to the generic Prescott ones on a CPU that can do better, the kernels to choose for
// it, else "".
std::string FasterBlasCoretype() {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return "";
  const char* core = OpenBlasCoreName();
  if (core == nullptr || std::strcmp(core, "Prescott") != 0) return "";
  const CpuFeatures& cpu = DetectCpuFeatures();
  if (cpu.avx512f) return "SkylakeX";
  if (cpu.avx2) return "Haswell";
  return "";
}

// The variables this process still needs before its libraries load, for `threads` threads.
std::map<std::string, std::string> LoadTimeEnvironment(int threads) {
  std::map<std::string, std::string> environment = ThreadEnvironment(threads, &std::getenv);
  if (const std::string coretype = FasterBlasCoretype(); !coretype.empty()) {
    environment["OPENBLAS_CORETYPE"] = coretype;
    environment[kCoretypeMarker] = coretype;
  }
  return environment;
}

// LibTorch's set_num_threads sizes the OpenMP pool only; OpenBLAS's own pthreads pool would
// keep one thread per core, so a --threads=1 tool would still multiply on every core.
// A user's OPENBLAS_NUM_THREADS wins.
void SetBlasThreads(int threads) {
  if (std::getenv("OPENBLAS_NUM_THREADS") != nullptr) return;
  using Fn = void (*)(int);
  auto set = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (set != nullptr) set(threads);
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
  // Flag parsing reorders argv in place; keep the original for the re-exec.
  const std::vector<std::string> args(*argv, *argv + *argc);
  InitTool(argc, argv, setup);
  const int threads = Threads();
  if (const auto environment = LoadTimeEnvironment(threads); !environment.empty()) {
    Reexec(args, environment);
  }
  KeepFreedMemory();
  at::set_num_threads(threads);
  SetBlasThreads(threads);
  const char* chosen = std::getenv(kCoretypeMarker);
  if (MatmulSelfCheckError() > 1e-5) {
    if (chosen != nullptr && std::strcmp(chosen, "Haswell") != 0) {
      LOG(WARNING) << "BLAS kernels " << chosen << " failed the matmul check; using Haswell";
      Reexec(args, {{"OPENBLAS_CORETYPE", "Haswell"}, {kCoretypeMarker, "Haswell"}});
    }
    LOG(ERROR) << "the BLAS in use (" << BlasDescription()
               << ") computes a wrong matmul; results cannot be trusted";
    std::exit(kExitFailure);
  }
  const char* wait_policy = std::getenv("OMP_WAIT_POLICY");
  VLOG(1) << BlasDescription() << ", " << at::get_num_threads() << " threads ("
          << (ThreadsByDefault()
                  ? "default: " + std::to_string(UsableCores()) + " usable cores"
                  : std::string("--threads"))
          << "), OMP_WAIT_POLICY=" << (wait_policy == nullptr ? "(unset)" : wait_policy)
          << ", CPU: " << DescribeCpuFeatures(DetectCpuFeatures());
}

}  // namespace attn::runtime
