#include "lib/model/training_metadata.h"

#include "gtest/gtest.h"

namespace attn::model {
namespace {

TEST(TrainedSeqLen, ReadsACheckedPositiveInteger) {
  EXPECT_EQ(*TrainedSeqLen("m", {{"seq_len", "128"}}), 128);
  EXPECT_EQ(*TrainedSeqLen("m", {}), 0);
  for (const char* bad : {"abc", "0", "-5", "99999999999999999999", "12x", ""}) {
    const absl::StatusOr<int64_t> s = TrainedSeqLen("m.safetensors", {{"seq_len", bad}});
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_TRUE(absl::IsDataLoss(s.status()));
    EXPECT_NE(s.status().message().find("m.safetensors: its metadata seq_len='"), std::string::npos);
  }
}

}  // namespace
}  // namespace attn::model
