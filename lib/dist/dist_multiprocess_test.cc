// Spawns the ranks of small jobs of dist_test_worker on loopback and checks what every
// rank reports: collectives are right, and faults end every rank with one clear line
// well within the timeout instead of a hang.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

// A port nobody listens on now (the kernel's pick of an ephemeral port).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t length = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  close(fd);
  return ntohs(addr.sin_port);
}

struct Rank {
  pid_t pid = -1;
  std::string log;  // stdout and stderr
  int exit_code = -1;
  int signal = 0;
  double seconds = 0;
};

class Job {
 public:
  explicit Job(int world_size, double timeout_s, int port = FreePort())
      : world_size_(world_size), timeout_s_(timeout_s), port_(port) {}
  ~Job() {
    for (Rank& r : ranks_) {
      if (r.pid > 0) {
        kill(r.pid, SIGKILL);
        waitpid(r.pid, nullptr, 0);
      }
    }
  }

  // Starts rank `rank` running `scenario`; the rendezvous comes from the environment,
  // as torchrun passes it. `extra` are more flags.
  void Start(int rank, const std::string& scenario, std::vector<std::string> extra = {},
             int world_size = 0) {
    Rank r;
    r.log = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", scenario, "_", port_, "_", rank, ".log");
    std::vector<std::string> args = {"lib/dist/dist_test_worker", "--scenario=" + scenario,
                                     "--threads=1", absl::StrCat("--dist_timeout_s=", timeout_s_)};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
    env.push_back(absl::StrCat("RANK=", rank));
    env.push_back(absl::StrCat("LOCAL_RANK=", rank));
    env.push_back(absl::StrCat("WORLD_SIZE=", world_size > 0 ? world_size : world_size_));
    env.push_back("MASTER_ADDR=127.0.0.1");
    env.push_back(absl::StrCat("MASTER_PORT=", port_));
    std::vector<char*> argv, envp;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, r.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    EXPECT_EQ(posix_spawn(&r.pid, argv[0], &actions, nullptr, argv.data(), envp.data()), 0);
    posix_spawn_file_actions_destroy(&actions);
    r.seconds = std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
    ranks_.push_back(r);
  }

  void StartAll(const std::string& scenario) {
    for (int rank = 0; rank < world_size_; ++rank) Start(rank, scenario);
  }

  // Waits for the i-th started process at most `limit_s` seconds (then kills it and
  // fails the test: it hung). Records how long it ran.
  Rank& Wait(int i, double limit_s) {
    Rank& r = ranks_[i];
    const auto deadline = Clock::now() + std::chrono::duration<double>(limit_s);
    int status = 0;
    while (waitpid(r.pid, &status, WNOHANG) == 0) {
      if (Clock::now() > deadline) {
        kill(r.pid, SIGKILL);
        waitpid(r.pid, &status, 0);
        ADD_FAILURE() << "rank process " << i << " still running after " << limit_s << " s: "
                      << Log(i);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    r.pid = -1;
    r.seconds = std::chrono::duration<double>(Clock::now().time_since_epoch()).count() - r.seconds;
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
    return r;
  }

  void Kill(int i) {
    kill(ranks_[i].pid, SIGKILL);
    Wait(i, 10);
  }

  std::string Log(int i) const {
    std::ifstream in(ranks_[i].log);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // The non-empty lines of a rank's output.
  std::vector<std::string> Lines(int i) const {
    return absl::StrSplit(Log(i), '\n', absl::SkipEmpty());
  }

  int port() const { return port_; }

 private:
  int world_size_;
  double timeout_s_;
  int port_;
  std::vector<Rank> ranks_;
};

// A failing rank says exactly one line, from the worker, containing `fragment`.
void ExpectOneLineError(const Job& job, int i, const std::string& fragment) {
  std::vector<std::string> lines = job.Lines(i);
  ASSERT_EQ(lines.size(), 1u) << job.Log(i);
  EXPECT_EQ(lines[0].rfind("dist_test_worker: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find(fragment), std::string::npos) << lines[0];
}

// All-reduce of gradients (bucketed with several caps, one tensor per bucket, missing
// gradients), broadcast of parameters and buffers, and the sum of scalars, on 3 ranks so
// that the sums are not symmetric.
TEST(Collectives, EveryRankGetsTheHandComputedResults) {
  Job job(3, 60);
  job.StartAll("collectives");
  for (int i = 0; i < 3; ++i) {
    Rank& r = job.Wait(i, 120);
    EXPECT_EQ(r.exit_code, 0) << "rank " << i << ": " << job.Log(i);
    EXPECT_EQ(job.Lines(i).size(), 0u) << job.Log(i);
  }
}

TEST(Faults, RankThatNeverArrivesTimesOutRankZero) {
  Job job(2, 2);
  job.Start(0, "collectives");
  Rank& r = job.Wait(0, 30);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_LT(r.seconds, 2 + 30);  // the timeout plus start-up on a loaded machine
  ExpectOneLineError(job, 0, "timed out after 2 s with 1 of 2 ranks arrived (missing ranks 1)");
}

TEST(Faults, RankZeroThatNeverArrivesTimesOutTheOthers) {
  Job job(2, 2);
  job.Start(1, "collectives");
  Rank& r = job.Wait(0, 30);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_LT(r.seconds, 2 + 30);
  ExpectOneLineError(job, 0, "rank 1 could not reach the rendezvous at 127.0.0.1:");
}

TEST(Faults, RankDyingMidRunStopsTheOthersAtOnce) {
  Job job(3, 120);
  job.StartAll("die");
  Rank& dead = job.Wait(2, 120);
  EXPECT_EQ(dead.signal, SIGKILL) << job.Log(2);
  for (int i = 0; i < 2; ++i) {
    Rank& r = job.Wait(i, 120);
    EXPECT_EQ(r.exit_code, 1);
    // A closed connection is noticed without waiting for the 120 s timeout (the bound
    // leaves room for start-up on a loaded machine).
    EXPECT_LT(r.seconds, 60);
    ExpectOneLineError(job, i, "averaging gradients failed");
  }
}

TEST(Faults, StalledRankStopsTheOthersAfterTheTimeout) {
  Job job(2, 3);
  job.StartAll("stall");
  Rank& r = job.Wait(0, 60);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_LT(r.seconds, 3 + 30);
  ExpectOneLineError(job, 0, "averaging gradients failed");
  job.Kill(1);
}

TEST(Faults, PortInUseIsAClearError) {
  int holder = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = 0;
  ASSERT_EQ(bind(holder, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(holder, 1), 0);
  socklen_t length = sizeof(addr);
  getsockname(holder, reinterpret_cast<sockaddr*>(&addr), &length);
  const int port = ntohs(addr.sin_port);

  Job job(2, 120, port);
  job.Start(0, "collectives");
  Rank& r = job.Wait(0, 30);
  close(holder);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_LT(r.seconds, 60);  // not the 120 s timeout: start-up only
  ExpectOneLineError(job, 0, absl::StrCat("port ", port, " is already in use"));
}

TEST(Faults, DifferentModelsAreRefused) {
  Job job(2, 30);
  job.StartAll("models_differ");
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(job.Wait(i, 60).exit_code, 1);
    ExpectOneLineError(job, i, "the ranks' models differ");
  }
}

TEST(Faults, DifferentWorldSizesAreRefused) {
  Job job(2, 3);
  job.Start(0, "collectives");
  job.Start(1, "collectives", {}, /*world_size=*/3);
  EXPECT_EQ(job.Wait(1, 30).exit_code, 1);
  ExpectOneLineError(job, 1, "rank 1 has world size 3 but rank 0 at 127.0.0.1:");
  EXPECT_EQ(job.Wait(0, 30).exit_code, 1);
}

TEST(Backends, NcclWithoutCudaIsAUsageError) {
  Job job(2, 30);
  job.Start(0, "collectives", {"--dist_backend=nccl"});
  EXPECT_EQ(job.Wait(0, 30).exit_code, 2);
  ExpectOneLineError(job, 0, "--dist_backend=nccl needs a LibTorch built with CUDA and NCCL");
}

}  // namespace
