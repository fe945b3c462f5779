#include "lib/study/apportion.h"

#include <algorithm>
#include <numeric>

namespace attn::study {
namespace {

// Plain largest remainder of `seats` among the clusters marked in `open`, in exact integer
// arithmetic: quota_k = seats * sizes[k] / total, remainder compared as seats * sizes[k] % total.
std::vector<int64_t> LargestRemainder(const std::vector<int64_t>& sizes, const std::vector<bool>& open,
                                      int64_t seats) {
  const size_t n = sizes.size();
  std::vector<int64_t> out(n, 0);
  int64_t total = 0;
  for (size_t k = 0; k < n; ++k) {
    if (open[k]) total += sizes[k];
  }
  if (total == 0 || seats == 0) return out;
  std::vector<size_t> order;
  int64_t given = 0;
  for (size_t k = 0; k < n; ++k) {
    if (!open[k] || sizes[k] == 0) continue;
    out[k] = seats * sizes[k] / total;
    given += out[k];
    order.push_back(k);
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const int64_t ra = seats * sizes[a] % total, rb = seats * sizes[b] % total;
    if (ra != rb) return ra > rb;
    if (sizes[a] != sizes[b]) return sizes[a] > sizes[b];
    return a < b;
  });
  for (size_t r = 0; given < seats; ++r, ++given) ++out[order[r]];
  return out;
}

}  // namespace

std::vector<int64_t> ApportionHeads(const std::vector<int64_t>& sizes, int64_t heads) {
  const size_t n = sizes.size();
  std::vector<bool> open(n);
  int64_t clusters = 0;
  for (size_t k = 0; k < n; ++k) {
    open[k] = sizes[k] > 0;
    clusters += open[k];
  }
  std::vector<int64_t> fixed(n, 0);  // clusters held at one head
  int64_t seats = heads;
  while (true) {
    std::vector<int64_t> out = LargestRemainder(sizes, open, seats);
    bool changed = false;
    if (heads >= clusters) {
      for (size_t k = 0; k < n; ++k) {
        if (open[k] && out[k] == 0) {
          open[k] = false;
          fixed[k] = 1;
          --seats;
          changed = true;
        }
      }
    }
    if (!changed) {
      for (size_t k = 0; k < n; ++k) out[k] += fixed[k];
      return out;
    }
  }
}

}  // namespace attn::study
