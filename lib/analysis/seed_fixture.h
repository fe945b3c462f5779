// Test helper: the standardized entropy, sparsity, distance of the original work's
// head_metrics.csv (testdata/analysis), the points the pinned reference numbers use.
#ifndef ATTN_LIB_ANALYSIS_SEED_FIXTURE_H_
#define ATTN_LIB_ANALYSIS_SEED_FIXTURE_H_

#include "gtest/gtest.h"
#include "lib/analysis/features.h"

namespace attn::analysis {

inline Points SeedPoints(Standardizer* scaler = nullptr) {
  absl::StatusOr<io::Table> table = io::ReadTable("testdata/analysis/seed_head_metrics.csv");
  EXPECT_TRUE(table.ok()) << table.status();
  Standardizer local;
  std::vector<std::string> warnings;
  absl::StatusOr<Points> x = LoadFeatures(*table, {"entropy", "sparsity", "distance"}, true,
                                          scaler != nullptr ? scaler : &local, &warnings);
  EXPECT_TRUE(x.ok()) << x.status();
  EXPECT_TRUE(warnings.empty());
  return x.value_or(Points());
}

}  // namespace attn::analysis

#endif  // ATTN_LIB_ANALYSIS_SEED_FIXTURE_H_
