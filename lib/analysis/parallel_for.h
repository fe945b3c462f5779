// Splits an index range over std::threads (the analysis tools do not link LibTorch).
#ifndef ATTN_LIB_ANALYSIS_PARALLEL_FOR_H_
#define ATTN_LIB_ANALYSIS_PARALLEL_FOR_H_

#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

namespace attn::analysis {

// Calls fn(begin, end) on `threads` contiguous chunks of [0, n), the first on the calling
// thread, and returns when all are done. Chunks are fixed by (n, threads), so work that
// writes only its own indices gives the same result for any thread count.
template <typename Fn>
void ParallelFor(int64_t n, int threads, const Fn& fn) {
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(threads, n));
  std::vector<std::thread> workers;
  for (int64_t c = 1; c < chunks; ++c) {
    workers.emplace_back([&fn, c, n, chunks] { fn(n * c / chunks, n * (c + 1) / chunks); });
  }
  fn(0, n / chunks);
  for (std::thread& w : workers) w.join();
}

}  // namespace attn::analysis

#endif  // ATTN_LIB_ANALYSIS_PARALLEL_FOR_H_
