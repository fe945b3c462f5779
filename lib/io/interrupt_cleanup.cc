#include "lib/io/interrupt_cleanup.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>

namespace attn::io {
namespace {

// The handler may only read plain memory and make async-signal-safe calls, so paths live
// in fixed slots rather than in a container that could be reallocated under it.
constexpr int kSlots = 64;
constexpr size_t kMaxPath = 4096;
enum SlotState : int { kFree, kFilling, kLive };

struct Slot {
  std::atomic<int> state{kFree};
  pid_t owner = 0;  // a forked child inherits the slots but must not remove its parent's files
  char path[kMaxPath];
};

Slot slots[kSlots];
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

void RemoveAndReraise(int sig) {
  const pid_t self = getpid();
  for (Slot& slot : slots) {
    if (slot.state.load(std::memory_order_acquire) == kLive && slot.owner == self) unlink(slot.path);
  }
  // SA_RESETHAND restored the default action and SA_NODEFER leaves the signal unblocked, so
  // this ends the process as the signal would have.
  raise(sig);
}

void InstallHandlers() {
  for (int sig : kSignals) {
    struct sigaction old;
    if (sigaction(sig, nullptr, &old) != 0) continue;
    if ((old.sa_flags & SA_SIGINFO) != 0 || old.sa_handler != SIG_DFL) continue;
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_handler = RemoveAndReraise;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND | SA_NODEFER;
    sigaction(sig, &action, nullptr);
  }
}

}  // namespace

int RegisterTempFile(const std::string& path) {
  static std::once_flag installed;
  std::call_once(installed, InstallHandlers);
  if (path.size() >= kMaxPath) return -1;
  for (int i = 0; i < kSlots; ++i) {
    int expected = kFree;
    if (!slots[i].state.compare_exchange_strong(expected, kFilling, std::memory_order_acq_rel)) continue;
    std::memcpy(slots[i].path, path.c_str(), path.size() + 1);
    slots[i].owner = getpid();
    slots[i].state.store(kLive, std::memory_order_release);
    return i;
  }
  return -1;
}

void UnregisterTempFile(int handle) {
  if (handle >= 0 && handle < kSlots) slots[handle].state.store(kFree, std::memory_order_release);
}

}  // namespace attn::io
