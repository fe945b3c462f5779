#include "lib/eval/window_plan.h"

#include <vector>

#include "gtest/gtest.h"

namespace attn::eval {
namespace {

std::vector<std::vector<int64_t>> Windows(int64_t n, int64_t context, int64_t stride) {
  absl::StatusOr<WindowPlan> plan = WindowPlan::Make(n, context, stride);
  EXPECT_TRUE(plan.ok()) << plan.status();
  std::vector<std::vector<int64_t>> out;
  for (int64_t i = 0; plan.ok() && i < plan->size(); ++i) {
    const Window w = (*plan)[i];
    out.push_back({w.begin, w.length, w.scored});
  }
  return out;
}

// {begin, length, scored}, worked out by hand.
TEST(WindowPlanTest, HandWorkedPlans) {
  // 11 bytes, 10 predictions, context 4, stride 3: targets 1-4 (context 1..4), then 5-7
  // from bytes 3.. (context 2..4), then 8-10 from bytes 6.. (context 2..4).
  EXPECT_EQ(Windows(11, 4, 3), (std::vector<std::vector<int64_t>>{{0, 4, 4}, {3, 4, 3}, {6, 4, 3}}));
  // Non-overlapping windows of 4 predictions; the last one reaches back to be whole:
  // targets 9-10 are predicted from bytes 6-9.
  EXPECT_EQ(Windows(11, 4, 4), (std::vector<std::vector<int64_t>>{{0, 4, 4}, {4, 4, 4}, {6, 4, 2}}));
  // Shorter than one window: one window of all 5 predictions.
  EXPECT_EQ(Windows(6, 8, 8), (std::vector<std::vector<int64_t>>{{0, 5, 5}}));
  EXPECT_EQ(Windows(2, 8, 1), (std::vector<std::vector<int64_t>>{{0, 1, 1}}));
  // Stride 1: one new prediction per window, each with the full context.
  EXPECT_EQ(Windows(7, 3, 1), (std::vector<std::vector<int64_t>>{{0, 3, 3}, {1, 3, 1}, {2, 3, 1}, {3, 3, 1}}));
}

// Every byte after the first is predicted exactly once, with at most `context` bytes of
// context: the first `context` bytes with all the bytes before them, later ones with at
// least context - stride + 1.
TEST(WindowPlanTest, EveryByteOnceWithEnoughContext) {
  for (int64_t n = 2; n < 40; ++n) {
    for (int64_t context = 1; context < 12; ++context) {
      for (int64_t stride = 1; stride <= context; ++stride) {
        SCOPED_TRACE(::testing::Message() << n << " " << context << " " << stride);
        absl::StatusOr<WindowPlan> plan = WindowPlan::Make(n, context, stride);
        ASSERT_TRUE(plan.ok());
        std::vector<int> times(n, 0);
        for (int64_t i = 0; i < plan->size(); ++i) {
          const Window w = (*plan)[i];
          ASSERT_GE(w.begin, 0);
          ASSERT_LE(w.begin + w.length, n - 1);
          ASSERT_LE(w.length, context);
          ASSERT_GE(w.scored, 1);
          ASSERT_LE(w.scored, w.length);
          for (int64_t k = w.length - w.scored; k < w.length; ++k) {
            const int64_t target = w.begin + k + 1, seen = k + 1;
            ++times[target];
            if (target > context) EXPECT_GE(seen, context - stride + 1);
            if (target <= context) EXPECT_EQ(seen, target);  // all the bytes before it
          }
        }
        EXPECT_EQ(times[0], 0);
        for (int64_t p = 1; p < n; ++p) EXPECT_EQ(times[p], 1) << "byte " << p;
      }
    }
  }
}

TEST(WindowPlanTest, RefusesWhatCannotBePlanned) {
  EXPECT_EQ(WindowPlan::Make(1, 4, 4).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WindowPlan::Make(10, 0, 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WindowPlan::Make(10, 4, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WindowPlan::Make(10, 4, 5).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(WindowPlan::Make(1, 4, 4).status().message().find("the first byte has no context"), std::string::npos);
}

}  // namespace
}  // namespace attn::eval
