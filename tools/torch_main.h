// InitMain for the tools that use LibTorch: the fast BLAS kernels, the thread count, and
// LibTorch and the BLAS in --version.
#ifndef ATTN_TOOLS_TORCH_MAIN_H_
#define ATTN_TOOLS_TORCH_MAIN_H_

namespace attn::tools {

void InitTorchMain(int* argc, char*** argv, const char* usage);

}  // namespace attn::tools

#endif  // ATTN_TOOLS_TORCH_MAIN_H_
