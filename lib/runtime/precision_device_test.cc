#include "gtest/gtest.h"
#include "lib/runtime/device.h"
#include "lib/runtime/precision.h"

namespace attn::runtime {
namespace {

TEST(ParsePrecision, KnowsFp32AndBf16) {
  EXPECT_EQ(*ParsePrecision("fp32"), Precision::kFp32);
  EXPECT_EQ(*ParsePrecision("bf16"), Precision::kBf16);
  EXPECT_TRUE(absl::IsInvalidArgument(ParsePrecision("fp16").status()));
  EXPECT_STREQ(PrecisionName(Precision::kBf16), "bf16");
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
