#include "lib/model/sparse_attention_blocks.h"

#include <vector>

#include "gtest/gtest.h"
#include "lib/model/attention_patterns.h"

namespace attn::model::sparse_blocks {
namespace {

const char* const kOriginalFour[] = {"local8", "strided", "global", "local16"};

// The plan covers every row once, and for each row the keys it may use (its gathered
// columns up to the row, and the pairs of its band range the plan allows) are exactly the
// allowed ones.
TEST(PlanHead, CoversExactlyTheAllowedPairs) {
  for (const char* name : {"local8", "strided", "global", "local16", "dense"}) {
    const AttentionPattern p = *BuiltinPattern(name);
    for (int64_t L : {1, 7, 15, 16, 17, 33, 64, 65, 300}) {
      const HeadPlan plan = PlanHead(p, L);
      int64_t next_row = 0, pairs = 0;
      for (const QueryBlock& block : plan.blocks) {
        ASSERT_EQ(block.row_begin, next_row);
        ASSERT_LE(block.band_begin, block.row_end);
        for (const int64_t j : block.columns) {
          ASSERT_LT(j, block.band_begin);
          ASSERT_TRUE(plan.is_column[j]);
        }
        for (int64_t i = block.row_begin; i < block.row_end; ++i) {
          std::vector<int64_t> usable;
          for (const int64_t j : block.columns) {
            if (j <= i) usable.push_back(j);
          }
          for (int64_t j = block.band_begin; j < block.row_end; ++j) {
            if (j <= i && (i - j <= plan.band || plan.is_column[j])) usable.push_back(j);
          }
          ASSERT_EQ(usable, PatternAtLength(p, L).Keys(i)) << name << " L " << L << " row " << i;
        }
        next_row = block.row_end;
        pairs += (block.row_end - block.row_begin) *
                 (static_cast<int64_t>(block.columns.size()) + block.row_end - block.band_begin);
      }
      EXPECT_EQ(next_row, L);
      EXPECT_EQ(plan.pairs, pairs);
    }
  }
}

// Work: a small multiple of the allowed pairs, far below L^2.
TEST(PlanHead, ComputesFewPairsBeyondTheAllowedOnes) {
  const int64_t L = 4096;
  for (const char* name : kOriginalFour) {
    const AttentionPattern p = *BuiltinPattern(name);
    const int64_t allowed = PatternAtLength(p, L).PairCount();
    const int64_t computed = PlanHead(p, L).pairs;
    EXPECT_GE(computed, allowed);
    EXPECT_LE(computed, 3 * allowed) << name;
    EXPECT_LT(computed, L * L / 10) << name;
  }
}

// Full causal attention skips the upper triangle: only the diagonal blocks' corners are
// computed beyond the L (L + 1) / 2 causal pairs.
TEST(PlanHead, DenseComputesTheCausalTriangleOnly) {
  for (const int64_t L : {100, 1024, 4096}) {
    const HeadPlan plan = PlanHead(*BuiltinPattern("dense"), L);
    const int64_t causal = CausalPairCount(L);
    EXPECT_GE(plan.pairs, causal);
    EXPECT_LE(plan.pairs, causal + L * 64 / 2) << L;
    for (const QueryBlock& block : plan.blocks) {
      EXPECT_TRUE(block.columns.empty());
      EXPECT_EQ(block.band_begin, 0);
    }
  }
}

}  // namespace
}  // namespace attn::model::sparse_blocks
