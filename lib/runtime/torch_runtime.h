// Start-up for tools that use LibTorch: fast OpenBLAS kernels and the thread count.
#ifndef ATTN_LIB_RUNTIME_TORCH_RUNTIME_H_
#define ATTN_LIB_RUNTIME_TORCH_RUNTIME_H_

#include <string>

#include "lib/runtime/tool.h"

namespace attn::runtime {

// InitTool plus LibTorch set-up. Debian's OpenBLAS 0.3.21 does not recognise some recent
// AVX-512 CPUs and falls back to its slowest (Prescott) kernels; it reads
// OPENBLAS_CORETYPE only when it loads. So when the variable is unset and OpenBLAS chose
// Prescott on a CPU with AVX-512 (or AVX2), this sets SkylakeX (or Haswell) and
// re-executes the binary once (a user's own setting is left alone). It then checks a
// matmul against a naive product (falling back to the Haswell kernels if the chosen ones
// compute wrongly), keeps freed memory in the process rather than returning it to the
// kernel (page faults cost more than arithmetic on VMs), sets LibTorch's thread count
// from --threads and logs the BLAS in use under --v=1.
void InitTorchTool(int* argc, char*** argv, const ToolSetup& setup);

// "OpenBLAS <version and build> core=<kernel>", or a note that OpenBLAS is not the loaded BLAS.
std::string BlasDescription();

// Max relative error of a 64x64 float matmul through LibTorch against a double product.
double MatmulSelfCheckError();

}  // namespace attn::runtime

#endif  // ATTN_LIB_RUNTIME_TORCH_RUNTIME_H_
