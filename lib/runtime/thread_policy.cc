#include "lib/runtime/thread_policy.h"

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
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

int DefaultThreads(int usable_cores, int make_jobs, int busy_cores) {
  const int cores = std::max(usable_cores, 1);
  const int jobs = make_jobs == 0 ? cores : std::max(make_jobs, 1);
  const int free_cores = std::max(1, cores - std::max(busy_cores, 0));
  return std::max(1, std::min(free_cores, cores / jobs));
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

namespace {

// The kernel's count of running tasks (threads), machine-wide, or -1.
int MachineRunningTasks() {
  std::ifstream stat("/proc/stat");
  std::string word;
  while (stat >> word) {
    if (word == "procs_running") {
      int running = -1;
      stat >> running;
      return running;
    }
  }
  return -1;
}

// This process's threads that are running now (OpenBLAS starts its threads when it loads,
// and they may still be spinning).
int OwnRunningThreads() {
  int running = 0;
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", error)) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const size_t paren = line.rfind(')');
    if (paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'R') ++running;
  }
  return std::max(running, 1);
}

}  // namespace

int OtherRunningTasks() {
  int least = -1;
  for (int sample = 0; sample < 3; ++sample) {
    if (sample > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const int running = MachineRunningTasks();
    if (running < 1) return 0;
    const int others = std::max(running - OwnRunningThreads(), 0);
    least = least < 0 ? others : std::min(least, others);
  }
  return least;
}

int DefaultThreadsHere() {
  const char* makeflags = std::getenv("MAKEFLAGS");
  return DefaultThreads(UsableCores(), MakeJobs(makeflags == nullptr ? "" : makeflags), OtherRunningTasks());
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
