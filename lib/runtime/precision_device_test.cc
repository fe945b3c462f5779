#include <string>

#include "gtest/gtest.h"
#include "lib/runtime/cpu_features.h"
#include "lib/runtime/device.h"
#include "lib/runtime/precision.h"

namespace attn::runtime {
namespace {

TEST(ParsePrecision, KnowsFp32AndBf16) {
  EXPECT_EQ(*ParsePrecision("fp32"), Precision::kFp32);
  EXPECT_EQ(*ParsePrecision("bf16"), Precision::kBf16);
  EXPECT_TRUE(absl::IsInvalidArgument(ParsePrecision("fp16").status()));
  EXPECT_NE(ParsePrecision("fp16").status().message().find("use auto, fp32 or bf16"), std::string::npos);
  EXPECT_STREQ(PrecisionName(Precision::kBf16), "bf16");
}

// auto is bf16 exactly where bf16 arithmetic is native, whatever else the CPU has.
TEST(AutoPrecision, Bf16OnlyWithNativeBf16) {
  CpuFeatures avx2;
  avx2.avx2 = true;
  CpuFeatures avx512 = avx2;  // AVX-512 without BF16 (Skylake-X, Zen 4 without it counts too)
  avx512.avx512f = avx512.avx512bw = true;
  CpuFeatures zen4 = avx512;  // AVX512_BF16
  zen4.avx512_bf16 = true;
  CpuFeatures sapphire_rapids = zen4;  // AMX-BF16 as well
  sapphire_rapids.amx_bf16 = true;
  CpuFeatures amx_only = avx2;
  amx_only.amx_bf16 = true;
  EXPECT_EQ(AutoPrecision(CpuFeatures()), Precision::kFp32);
  EXPECT_EQ(AutoPrecision(avx2), Precision::kFp32);
  EXPECT_EQ(AutoPrecision(avx512), Precision::kFp32);
  EXPECT_EQ(AutoPrecision(zen4), Precision::kBf16);
  EXPECT_EQ(AutoPrecision(sapphire_rapids), Precision::kBf16);
  EXPECT_EQ(AutoPrecision(amx_only), Precision::kBf16);
  // "auto" is this machine's choice; the explicit names ignore the CPU.
  EXPECT_EQ(*ParsePrecision("auto"), AutoPrecision(DetectCpuFeatures()));
  EXPECT_EQ(AutoPrecisionNote("auto", avx2), "precision auto: fp32 (no native bf16 on this CPU: avx2)");
  EXPECT_EQ(AutoPrecisionNote("auto", zen4),
            "precision auto: bf16 (native bf16 on this CPU: avx2 avx512f avx512bw avx512_bf16)");
  EXPECT_EQ(AutoPrecisionNote("fp32", zen4), "");
  EXPECT_EQ(AutoPrecisionNote("bf16", avx2), "");
}

TEST(AutocastScope, Bf16MatmulsInsideOnlyAndRestoresTheState) {
  const torch::Tensor a = torch::randn({4, 4});
  {
    AutocastScope autocast(Precision::kBf16, torch::kCPU);
    EXPECT_EQ(a.matmul(a).scalar_type(), torch::kBFloat16);
  }
  EXPECT_EQ(a.matmul(a).scalar_type(), torch::kFloat);
  AutocastScope fp32(Precision::kFp32, torch::kCPU);
  EXPECT_EQ(a.matmul(a).scalar_type(), torch::kFloat);
}

TEST(ParseDevice, CpuAndAClearErrorForCudaWithoutIt) {
  EXPECT_TRUE(ParseDevice("cpu")->is_cpu());
  EXPECT_TRUE(absl::IsInvalidArgument(ParseDevice("tpu").status()));
  if (!torch::cuda::is_available()) {
    auto cuda = ParseDevice("cuda");
    ASSERT_FALSE(cuda.ok());
    EXPECT_TRUE(absl::IsFailedPrecondition(cuda.status()));
    EXPECT_NE(cuda.status().message().find("no CUDA"), std::string::npos);
  }
}

}  // namespace
}  // namespace attn::runtime
