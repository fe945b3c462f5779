#include "lib/train/lr_schedule.h"

#include "gtest/gtest.h"

namespace attn::train {
namespace {

TEST(LrScheduleTest, WarmupThenCosineToTheFloor) {
  // The original: lr 1e-4, floor factor 1e-5, warmup 1000; 11000 steps in all.
  const LrSchedule s{1e-4, 1e-9, 1000, 11000};
  EXPECT_DOUBLE_EQ(s.LrAt(1), 1e-7);
  EXPECT_DOUBLE_EQ(s.LrAt(500), 5e-5);
  EXPECT_DOUBLE_EQ(s.LrAt(1000), 1e-4);
  // progress 0.5: factor = 1e-5 + (1 - 1e-5) * (1 + cos(pi/2)) / 2 = 0.500005
  EXPECT_NEAR(s.LrAt(6000), 1e-4 * 0.500005, 1e-18);
  // progress 0.25: (1 + cos(pi/4)) / 2 = 0.853553390593...
  EXPECT_NEAR(s.LrAt(3500), 1e-4 * (1e-5 + (1 - 1e-5) * 0.85355339059327373), 1e-18);
  // The end and beyond stay on the floor.
  EXPECT_NEAR(s.LrAt(11000), 1e-9, 1e-21);
  EXPECT_NEAR(s.LrAt(20000), 1e-9, 1e-21);
}

TEST(LrScheduleTest, NoWarmupStartsAtThePeak) {
  const LrSchedule s{2e-3, 2e-8, 0, 4};
  // progress 1/4: 1e-5 + (1 - 1e-5) * 0.853553390593 = 0.853554854...
  EXPECT_NEAR(s.LrAt(1), 2e-3 * (1e-5 + (1 - 1e-5) * 0.85355339059327373), 1e-15);
  EXPECT_NEAR(s.LrAt(2), 2e-3 * 0.500005, 1e-15);
  EXPECT_NEAR(s.LrAt(4), 2e-8, 1e-20);
}

TEST(LrScheduleTest, WarmupLongerThanTrainingNeverDecays) {
  const LrSchedule s{1e-3, 1e-8, 100, 10};
  EXPECT_DOUBLE_EQ(s.LrAt(10), 1e-4);
}

}  // namespace
}  // namespace attn::train
