#include "lib/dist/bucket_plan.h"

namespace attn::dist {

std::vector<Bucket> PlanBuckets(const std::vector<TensorSlot>& tensors, int64_t bucket_bytes) {
  std::vector<Bucket> buckets;
  int64_t filled = 0;
  for (int i = 0; i < static_cast<int>(tensors.size()); ++i) {
    const bool fits = !buckets.empty() && bucket_bytes > 0 &&
                      tensors[i].kind == tensors[buckets.back().begin].kind &&
                      filled + tensors[i].bytes <= bucket_bytes;
    if (fits) {
      buckets.back().end = i + 1;
      filled += tensors[i].bytes;
    } else {
      buckets.push_back({i, i + 1});
      filled = tensors[i].bytes;
    }
  }
  return buckets;
}

}  // namespace attn::dist
