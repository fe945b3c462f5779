#include "lib/runtime/torch_runtime.h"

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "torch/torch.h"

namespace attn::runtime {
namespace {

TEST(TorchSmoke, MatmulMatchesNaiveProduct) {
  const torch::Tensor a = torch::tensor({{1.f, 2.f}, {3.f, 4.f}});
  const torch::Tensor b = torch::tensor({{5.f, 6.f}, {7.f, 8.f}});
  const torch::Tensor c = a.matmul(b);
  EXPECT_FLOAT_EQ(c[0][0].item<float>(), 19.f);
  EXPECT_FLOAT_EQ(c[0][1].item<float>(), 22.f);
  EXPECT_FLOAT_EQ(c[1][0].item<float>(), 43.f);
  EXPECT_FLOAT_EQ(c[1][1].item<float>(), 50.f);
  EXPECT_LT(MatmulSelfCheckError(), 1e-5);
}

TEST(TorchSmoke, LoadedBlasIsOpenBlas) {
  EXPECT_EQ(BlasDescription().rfind("OpenBLAS ", 0), 0u) << BlasDescription();
}

std::string RunProbe(const std::string& env, const std::string& flags = "") {
  const std::string cmd = env + " lib/runtime/torch_runtime_probe " + flags + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (pipe != nullptr && fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
  if (pipe != nullptr) pclose(pipe);
  return out;
}

// A fresh tool process with OPENBLAS_CORETYPE unset ends on fast kernels, never on the
// generic Prescott fallback, on a CPU that has AVX2.
TEST(TorchRuntime, FastKernelsActiveOnThisCpu) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2")) GTEST_SKIP() << "CPU without AVX2";
  const std::string blas = RunProbe("env -u OPENBLAS_CORETYPE -u ATTN_BLAS_CORETYPE_SET");
  EXPECT_NE(blas.find("core="), std::string::npos) << blas;
  EXPECT_EQ(blas.find("core=Prescott"), std::string::npos) << blas;
}

TEST(TorchRuntime, LeavesTheUsersOwnSettingAlone) {
  const std::string blas = RunProbe("env OPENBLAS_CORETYPE=Prescott");
  EXPECT_NE(blas.find("core=Prescott"), std::string::npos) << blas;
}

// Several threads wait passively unless the user chose otherwise; one thread sets nothing.
TEST(TorchRuntime, ThreadsWaitPassively) {
  const std::string clean = "env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT -u OPENBLAS_THREAD_TIMEOUT -u MAKEFLAGS";
  std::string out = RunProbe(clean, "--threads=2");
  EXPECT_NE(out.find("threads=2\nOMP_WAIT_POLICY=PASSIVE"), std::string::npos) << out;
  out = RunProbe(clean + " OMP_WAIT_POLICY=active", "--threads=2");
  EXPECT_NE(out.find("threads=2\nOMP_WAIT_POLICY=active"), std::string::npos) << out;
  out = RunProbe(clean, "--threads=1");
  EXPECT_NE(out.find("threads=1\nOMP_WAIT_POLICY=unset"), std::string::npos) << out;
}

// Under `make -jN` the default divides the cores among the jobs; --threads overrides it.
TEST(TorchRuntime, MakeJobsShareTheCores) {
  const std::string clean = "env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT";
  std::string out = RunProbe(clean + " MAKEFLAGS='s -j64 --jobserver-auth=3,4'");
  EXPECT_NE(out.find("threads=1\n"), std::string::npos) << out;
  out = RunProbe(clean + " MAKEFLAGS='s -j64'", "--threads=3");
  EXPECT_NE(out.find("threads=3\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace attn::runtime
