// The vector instructions this CPU can run, detected at run time (cpuid, and xgetbv for the
// register state the operating system saves), so one binary chooses its kernels and its
// default precision on every machine instead of assuming the build machine's CPU.
#ifndef ATTN_LIB_RUNTIME_CPU_FEATURES_H_
#define ATTN_LIB_RUNTIME_CPU_FEATURES_H_

#include <cstdint>
#include <string>

namespace attn::runtime {

struct CpuFeatures {
  bool avx2 = false;         // AVX2 and FMA, with YMM state enabled by the OS
  bool avx512f = false;      // AVX-512 Foundation, with opmask and ZMM state enabled
  bool avx512bw = false;     // byte/word AVX-512 (every AVX512_BF16 CPU has it)
  bool avx512_bf16 = false;  // VDPBF16PS: bf16 dot products accumulated in float
  bool amx_bf16 = false;     // AMX tiles with bf16 products, tile state enabled by the OS
};

// The registers cpuid and xgetbv return that the decoding reads.
struct CpuidRegisters {
  uint32_t max_leaf = 0;    // leaf 0 eax
  uint32_t leaf1_ecx = 0;   // FMA (12), OSXSAVE (27), AVX (28)
  uint32_t leaf7_eax = 0;   // highest subleaf of leaf 7
  uint32_t leaf7_ebx = 0;   // AVX2 (5), AVX512F (16), AVX512BW (30)
  uint32_t leaf7_edx = 0;   // AMX-BF16 (22), AMX-TILE (24)
  uint32_t leaf7_1_eax = 0; // AVX512_BF16 (5)
  uint64_t xcr0 = 0;        // OS-enabled state: SSE|AVX (bits 1-2), AVX-512 (5-7), AMX (17-18)
};

// Pure decoding: a feature counts only when the CPU reports it AND the OS saves its registers.
CpuFeatures DecodeCpuFeatures(const CpuidRegisters& registers);

// This CPU's registers (cached after the first call).
CpuidRegisters ReadCpuidRegisters();

// DecodeCpuFeatures(ReadCpuidRegisters()), cached.
const CpuFeatures& DetectCpuFeatures();

// Whether bf16 autocast is both fast and safe here: the CPU multiplies bf16 natively
// (AVX512_BF16 or AMX-BF16), so LibTorch's oneDNN matmuls in bf16 beat fp32. Without it
// LibTorch's bf16 matmul is many times slower than fp32 (docs/performance.md), so
// --precision=auto should train in fp32 there.
bool HasNativeBf16(const CpuFeatures& features);

// "avx2 avx512f avx512bw avx512_bf16 amx_bf16" (the features present), or "none": for logs.
std::string DescribeCpuFeatures(const CpuFeatures& features);

}  // namespace attn::runtime

#endif  // ATTN_LIB_RUNTIME_CPU_FEATURES_H_
