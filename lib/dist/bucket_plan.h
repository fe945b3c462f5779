// Groups consecutive tensors into buckets of about a given byte size, so that gradients
// are all-reduced in a few large messages instead of one small message per tensor.
#ifndef ATTN_LIB_DIST_BUCKET_PLAN_H_
#define ATTN_LIB_DIST_BUCKET_PLAN_H_

#include <cstdint>
#include <vector>

namespace attn::dist {

// 25 MB, PyTorch DistributedDataParallel's default bucket_cap_mb.
inline constexpr int64_t kDefaultBucketBytes = 25 * 1024 * 1024;

struct TensorSlot {
  int64_t bytes = 0;
  int kind = 0;  // tensors of different kinds (dtype, device) never share a bucket
};

// A bucket is the half-open range [begin, end) of tensor indices. Tensors keep their
// order; a bucket closes when the next tensor would take it past bucket_bytes or is of
// another kind. A tensor larger than bucket_bytes gets a bucket of its own, and
// bucket_bytes <= 0 gives every tensor its own bucket.
struct Bucket {
  int begin = 0;
  int end = 0;
};
std::vector<Bucket> PlanBuckets(const std::vector<TensorSlot>& tensors, int64_t bucket_bytes);

}  // namespace attn::dist

#endif  // ATTN_LIB_DIST_BUCKET_PLAN_H_
