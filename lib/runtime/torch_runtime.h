// Start-up for tools that use LibTorch: fast OpenBLAS kernels, the thread count and how
// threads wait.
#ifndef ATTN_LIB_RUNTIME_TORCH_RUNTIME_H_
#define ATTN_LIB_RUNTIME_TORCH_RUNTIME_H_

#include <string>

#include "lib/runtime/tool.h"

namespace attn::runtime {

// InitTool plus LibTorch set-up. The thread count is Threads() (by default the cores
// divided among the jobs of a parallel make; lib/runtime/thread_policy.h); LibTorch and OpenBLAS both get it. Some settings are read
// by libraries only when they load, so when one is missing this sets it and re-executes
// the binary once (a user's own setting is left alone): OMP_WAIT_POLICY=PASSIVE and
// OPENBLAS_THREAD_TIMEOUT=4 for more than one thread (threads that spin while other
// processes hold the cores make a tool many times slower), and OPENBLAS_CORETYPE, because
// Debian's OpenBLAS 0.3.21 does not recognise some recent AVX-512 CPUs and falls back to
// its slowest (Prescott) kernels: on a CPU with AVX-512 (or AVX2) it gets SkylakeX (or
// Haswell). It then checks a matmul against a naive product (falling back to the Haswell
// kernels if the chosen ones compute wrongly), keeps freed memory in the process rather
// than returning it to the kernel (page faults cost more than arithmetic on VMs) and logs
// the BLAS, threads and CPU features under --v=1.
void InitTorchTool(int* argc, char*** argv, const ToolSetup& setup);

// "OpenBLAS <version and build> core=<kernel>", or a note that OpenBLAS is not the loaded BLAS.
std::string BlasDescription();

// Max relative error of a 64x64 float matmul through LibTorch against a double product.
double MatmulSelfCheckError();

}  // namespace attn::runtime

#endif  // ATTN_LIB_RUNTIME_TORCH_RUNTIME_H_
