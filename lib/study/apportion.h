// Sharing a sparse model's heads among head clusters in proportion to their sizes.
#ifndef ATTN_LIB_STUDY_APPORTION_H_
#define ATTN_LIB_STUDY_APPORTION_H_

#include <cstdint>
#include <vector>

namespace attn::study {

// Seats for `heads` among clusters of `sizes` (>= 0, some positive; heads >= 0), by the
// largest remainder method: cluster k's quota is heads * sizes[k] / sum(sizes); each gets the
// whole part of its quota, and the seats left go one each to the largest remainders (ties:
// the larger cluster, then the lower index). While heads >= the number of non-empty clusters,
// every non-empty cluster gets at least one: clusters left with none get one each and the
// other seats are apportioned again, the same way, among the other clusters. With fewer
// heads than non-empty clusters the plain apportionment stands and some clusters get none.
// Empty clusters (size 0) always get none. The result sums to `heads`.
std::vector<int64_t> ApportionHeads(const std::vector<int64_t>& sizes, int64_t heads);

}  // namespace attn::study

#endif  // ATTN_LIB_STUDY_APPORTION_H_
