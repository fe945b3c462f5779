#include "lib/model/sparse_attention_blocks.h"

#include <vector>

#include "gtest/gtest.h"
#include "lib/model/attention_patterns.h"

namespace attn::model::sparse_blocks {
namespace {

const char* const kOriginalFour[] = {"local8", "strided", "global", "local16"};

// The plan covers every row once, and for each row the keys it may use (causal, and in the
// band unless the column is open to all later rows) are exactly the allowed ones.
TEST(PlanHead, CoversExactlyTheAllowedPairs) {
  for (const char* name : kOriginalFour) {
    const AttentionPattern p = *BuiltinPattern(name);
    for (int64_t L : {1, 7, 15, 16, 17, 33, 64, 65, 300}) {
      const HeadPlan plan = PlanHead(p, L);
      int64_t next_row = 0, offset = 0;
      for (const QueryBlock& block : plan.blocks) {
        ASSERT_EQ(block.row_begin, next_row);
        ASSERT_EQ(block.offset, offset);
        ASSERT_EQ(block.keys.size(), block.any_later_row.size());
        for (int64_t i = block.row_begin; i < block.row_end; ++i) {
          std::vector<int64_t> usable;
          for (size_t c = 0; c < block.keys.size(); ++c) {
            const int64_t j = block.keys[c];
            if (j <= i && (block.any_later_row[c] || i - j <= plan.band)) usable.push_back(j);
          }
          ASSERT_EQ(usable, PatternAtLength(p, L).Keys(i)) << name << " L " << L << " row " << i;
        }
        next_row = block.row_end;
        offset += (block.row_end - block.row_begin) * static_cast<int64_t>(block.keys.size());
      }
      EXPECT_EQ(next_row, L);
      EXPECT_EQ(plan.size, offset);
    }
  }
}

// Score memory and work: a small multiple of the allowed pairs, far below L^2.
TEST(PlanHead, ComputesFewPairsBeyondTheAllowedOnes) {
  const int64_t L = 4096;
  for (const char* name : kOriginalFour) {
    const AttentionPattern p = *BuiltinPattern(name);
    const int64_t allowed = PatternAtLength(p, L).PairCount();
    const int64_t computed = PlanHead(p, L).size;
    EXPECT_GE(computed, allowed);
    EXPECT_LE(computed, 3 * allowed) << name;
    EXPECT_LT(computed, L * L / 10) << name;
  }
}

}  // namespace
}  // namespace attn::model::sparse_blocks
