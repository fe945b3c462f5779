#include "lib/dist/bucket_plan.h"

#include <vector>

#include "gtest/gtest.h"

namespace attn::dist {
namespace {

std::vector<std::pair<int, int>> Ranges(const std::vector<Bucket>& buckets) {
  std::vector<std::pair<int, int>> ranges;
  for (const Bucket& b : buckets) ranges.emplace_back(b.begin, b.end);
  return ranges;
}

using Ranges_t = std::vector<std::pair<int, int>>;

TEST(PlanBuckets, EmptyInputHasNoBuckets) { EXPECT_TRUE(PlanBuckets({}, 100).empty()); }

TEST(PlanBuckets, FillsUpToTheCapInOrder) {
  // 40+40 fit in 100, the third 40 would make 120: new bucket; 40+60 = 100 fits exactly.
  std::vector<TensorSlot> t = {{40, 0}, {40, 0}, {40, 0}, {60, 0}, {1, 0}};
  EXPECT_EQ(Ranges(PlanBuckets(t, 100)), (Ranges_t{{0, 2}, {2, 4}, {4, 5}}));
}

TEST(PlanBuckets, OversizedTensorGetsItsOwnBucket) {
  std::vector<TensorSlot> t = {{10, 0}, {500, 0}, {10, 0}, {10, 0}};
  EXPECT_EQ(Ranges(PlanBuckets(t, 100)), (Ranges_t{{0, 1}, {1, 2}, {2, 4}}));
}

TEST(PlanBuckets, KindsNeverMix) {
  std::vector<TensorSlot> t = {{10, 0}, {10, 1}, {10, 1}, {10, 0}};
  EXPECT_EQ(Ranges(PlanBuckets(t, 100)), (Ranges_t{{0, 1}, {1, 3}, {3, 4}}));
}

TEST(PlanBuckets, NonPositiveCapMeansOneTensorPerBucket) {
  std::vector<TensorSlot> t = {{1, 0}, {1, 0}, {1, 0}};
  EXPECT_EQ(Ranges(PlanBuckets(t, 0)), (Ranges_t{{0, 1}, {1, 2}, {2, 3}}));
}

TEST(PlanBuckets, EverythingInOneBucketWhenItFits) {
  std::vector<TensorSlot> t(1000, {1000, 0});
  EXPECT_EQ(Ranges(PlanBuckets(t, kDefaultBucketBytes)), (Ranges_t{{0, 1000}}));
}

}  // namespace
}  // namespace attn::dist
