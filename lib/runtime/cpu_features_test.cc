#include "lib/runtime/cpu_features.h"

#include "gtest/gtest.h"

namespace attn::runtime {
namespace {

constexpr uint32_t kFma = 1u << 12, kOsxsave = 1u << 27, kAvx = 1u << 28;
constexpr uint32_t kAvx2 = 1u << 5, kAvx512f = 1u << 16, kAvx512bw = 1u << 30;
constexpr uint32_t kAmxBf16 = 1u << 22, kAmxTile = 1u << 24;
constexpr uint32_t kAvx512Bf16 = 1u << 5;
constexpr uint64_t kXcr0Ymm = 0x7, kXcr0Zmm = 0xe7, kXcr0Tiles = 0x60000;

// An AVX2-only CPU (this project's 2-core EPYC VM, Zen 3).
CpuidRegisters Avx2Only() {
  CpuidRegisters r;
  r.max_leaf = 0x10;
  r.leaf1_ecx = kFma | kOsxsave | kAvx;
  r.leaf7_ebx = kAvx2;
  r.xcr0 = kXcr0Ymm;
  return r;
}

// AVX-512 with BF16 dot products (Zen 4, Cooper Lake).
CpuidRegisters Avx512Bf16() {
  CpuidRegisters r = Avx2Only();
  r.leaf7_ebx |= kAvx512f | kAvx512bw;
  r.leaf7_eax = 1;
  r.leaf7_1_eax = kAvx512Bf16;
  r.xcr0 = kXcr0Zmm;
  return r;
}

TEST(DecodeCpuFeatures, Avx2Only) {
  const CpuFeatures f = DecodeCpuFeatures(Avx2Only());
  EXPECT_TRUE(f.avx2);
  EXPECT_FALSE(f.avx512f || f.avx512bw || f.avx512_bf16 || f.amx_bf16);
  EXPECT_FALSE(HasNativeBf16(f));
  EXPECT_EQ(DescribeCpuFeatures(f), "avx2");
}

TEST(DecodeCpuFeatures, Avx512WithBf16) {
  const CpuFeatures f = DecodeCpuFeatures(Avx512Bf16());
  EXPECT_TRUE(f.avx2 && f.avx512f && f.avx512bw && f.avx512_bf16);
  EXPECT_FALSE(f.amx_bf16);
  EXPECT_TRUE(HasNativeBf16(f));
  EXPECT_EQ(DescribeCpuFeatures(f), "avx2 avx512f avx512bw avx512_bf16");
}

// A CPU that has AVX-512 but an OS (or hypervisor) that does not save the ZMM registers
// must not run AVX-512 code: it would fault.
TEST(DecodeCpuFeatures, Avx512WithoutOsSupportIsOff) {
  CpuidRegisters r = Avx512Bf16();
  r.xcr0 = kXcr0Ymm;
  const CpuFeatures f = DecodeCpuFeatures(r);
  EXPECT_TRUE(f.avx2);
  EXPECT_FALSE(f.avx512f || f.avx512bw || f.avx512_bf16);
  EXPECT_FALSE(HasNativeBf16(f));
}

// Sapphire Rapids: AMX counts only once the OS enables the tile state.
TEST(DecodeCpuFeatures, AmxNeedsTileState) {
  CpuidRegisters r = Avx512Bf16();
  r.leaf7_edx = kAmxBf16 | kAmxTile;
  EXPECT_FALSE(DecodeCpuFeatures(r).amx_bf16);
  r.xcr0 |= kXcr0Tiles;
  EXPECT_TRUE(DecodeCpuFeatures(r).amx_bf16);
  r.leaf7_eax = 0;  // no subleaf 1: AVX512_BF16 unknown, AMX alone is native bf16
  const CpuFeatures f = DecodeCpuFeatures(r);
  EXPECT_FALSE(f.avx512_bf16);
  EXPECT_TRUE(f.amx_bf16 && HasNativeBf16(f));
  EXPECT_EQ(DescribeCpuFeatures(f), "avx2 avx512f avx512bw amx_bf16");
}

TEST(DecodeCpuFeatures, NothingWithoutOsxsaveOrLeaf7) {
  CpuidRegisters r = Avx512Bf16();
  r.leaf1_ecx &= ~kOsxsave;
  EXPECT_EQ(DescribeCpuFeatures(DecodeCpuFeatures(r)), "none");
  r = Avx512Bf16();
  r.max_leaf = 6;  // leaf 7 registers are garbage then
  EXPECT_EQ(DescribeCpuFeatures(DecodeCpuFeatures(r)), "none");
  r = Avx2Only();
  r.leaf1_ecx &= ~kFma;
  EXPECT_FALSE(DecodeCpuFeatures(r).avx2);
}

// GCC's own run-time detection, an independent implementation, agrees on this machine.
TEST(DetectCpuFeatures, AgreesWithTheCompilersDetection) {
  __builtin_cpu_init();
  const CpuFeatures& f = DetectCpuFeatures();
  EXPECT_EQ(f.avx2, __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"));
  EXPECT_EQ(f.avx512f, static_cast<bool>(__builtin_cpu_supports("avx512f")));
  EXPECT_EQ(f.avx512bw, static_cast<bool>(__builtin_cpu_supports("avx512bw")));
  EXPECT_EQ(f.avx512_bf16, static_cast<bool>(__builtin_cpu_supports("avx512bf16")));
}

}  // namespace
}  // namespace attn::runtime
