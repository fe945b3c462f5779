// Compiled with PARALLEL_FOR_COPTS, as the kernels that call at::parallel_for are: the work
// spreads over LibTorch's threads. (Without OpenMP at compile time, ATen/Parallel-inl.h runs
// every range inline on the calling thread, at any thread count.)
#include <mutex>
#include <set>
#include <thread>

#include "ATen/Parallel.h"
#include "gtest/gtest.h"

namespace attn::model {
namespace {

TEST(ParallelForCoptsTest, TheWorkRunsOnSeveralThreads) {
  const int before = at::get_num_threads();
  at::set_num_threads(2);
  std::mutex mutex;
  std::set<std::thread::id> threads;
  at::parallel_for(0, 64, 1, [&](int64_t, int64_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // so that one thread cannot take every range
    std::lock_guard<std::mutex> lock(mutex);
    threads.insert(std::this_thread::get_id());
  });
  at::set_num_threads(before);
  EXPECT_EQ(threads.size(), 2u);
}

}  // namespace
}  // namespace attn::model
