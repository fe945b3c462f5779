#include "lib/runtime/thread_policy.h"

#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace attn::runtime {

int MakeJobs(const std::string& makeflags) {
  int jobs = 1;
  for (absl::string_view word : absl::StrSplit(makeflags, ' ', absl::SkipEmpty())) {
    if (word == "--") break;  // variable assignments follow
    absl::string_view count;
    if (absl::ConsumePrefix(&word, "--jobs")) {
      if (word.empty()) return 0;
      if (!absl::ConsumePrefix(&word, "=")) continue;
      count = word;
    } else if (absl::ConsumePrefix(&word, "-j")) {
      count = word;
    } else {
      continue;
    }
    int n = 0;
    if (count.empty()) {
      jobs = 0;
    } else if (absl::SimpleAtoi(count, &n) && n >= 1) {
      jobs = n;
    }
  }
  return jobs;
}

int DefaultThreads(int usable_cores, int make_jobs) {
  const int cores = std::max(usable_cores, 1);
  const int jobs = make_jobs == 0 ? cores : std::max(make_jobs, 1);
  return std::max(1, cores / jobs);
}

int UsableCores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  const unsigned cores = std::thread::hardware_concurrency();
  return cores > 0 ? static_cast<int>(cores) : 1;
}

int DefaultThreadsHere() {
  const char* makeflags = std::getenv("MAKEFLAGS");
  return DefaultThreads(UsableCores(), MakeJobs(makeflags == nullptr ? "" : makeflags));
}

std::map<std::string, std::string> ThreadEnvironment(
    int threads, const std::function<const char*(const char*)>& getenv) {
  std::map<std::string, std::string> changes;
  if (threads <= 1) return changes;
  if (getenv("OMP_WAIT_POLICY") == nullptr && getenv("GOMP_SPINCOUNT") == nullptr) {
    changes["OMP_WAIT_POLICY"] = "PASSIVE";
  }
  // OpenBLAS's idle threads spin (calling sched_yield) for 2^28 cycles after each product by
  // default; 2^4, its minimum, lets them sleep at once.
  if (getenv("OPENBLAS_THREAD_TIMEOUT") == nullptr) changes["OPENBLAS_THREAD_TIMEOUT"] = "4";
  return changes;
}

}  // namespace attn::runtime
