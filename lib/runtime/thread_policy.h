// How many threads a tool uses and how they wait, so that tools stay fast on a busy machine
// and `make -jN` divides the cores between its jobs instead of oversubscribing them.
//
// Threads that spin while they wait for each other steal the core from the thread they
// wait for when other processes occupy the cores (docs/performance.md). So OpenMP threads
// and OpenBLAS's own threads sleep as soon as they are idle, unless the user chose a wait
// policy, and the default thread count divides the cores among the jobs of a parallel make.
// It does not follow the machine's load at start-up: results depend on the thread count in
// their last bits, and a resumed run must continue exactly as an uninterrupted one.
#ifndef ATTN_LIB_RUNTIME_THREAD_POLICY_H_
#define ATTN_LIB_RUNTIME_THREAD_POLICY_H_

#include <functional>
#include <map>
#include <string>

namespace attn::runtime {

// Jobs a parallel make runs at once, from its MAKEFLAGS ("s -j2 --jobserver-auth=3,4" gives
// 2): 1 outside make or without -j, 0 for an unlimited "-j".
int MakeJobs(const std::string& makeflags);

// The default of --threads: the usable cores divided among make's jobs (an unlimited -j
// counts as one job per core), at least 1.
int DefaultThreads(int usable_cores, int make_jobs);

// Cores this process may run on (its CPU affinity mask; all online cores if unknown).
int UsableCores();

// DefaultThreads(UsableCores(), MakeJobs($MAKEFLAGS)).
int DefaultThreadsHere();

// Environment variables to set before the OpenMP runtime and OpenBLAS load (they read them
// only then) for a process that runs `threads` threads; getenv looks the current values up.
// Empty when nothing needs changing: one thread never waits, and a user's own
// OMP_WAIT_POLICY, GOMP_SPINCOUNT or OPENBLAS_THREAD_TIMEOUT is kept.
std::map<std::string, std::string> ThreadEnvironment(
    int threads, const std::function<const char*(const char*)>& getenv);

}  // namespace attn::runtime

#endif  // ATTN_LIB_RUNTIME_THREAD_POLICY_H_
