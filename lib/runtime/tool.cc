#include "lib/runtime/tool.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "gflags/gflags.h"
#include "glog/logging.h"

DEFINE_int32(threads, 0, "worker threads; 0 means all cores");

namespace google {
// gflags exits through this pointer after reporting a bad flag.
extern void (*gflags_exitfunc)(int);
}  // namespace google

namespace attn::runtime {
namespace {

std::string& MutableToolName() {
  static std::string name = "tool";
  return name;
}

void ExitAsUsageError(int code) { std::exit(code == 0 ? 0 : kExitUsage); }

}  // namespace

void InitTool(int* argc, char*** argv, const char* usage) {
  std::string name = (*argc > 0 && (*argv)[0] != nullptr) ? (*argv)[0] : "tool";
  const size_t slash = name.rfind('/');
  if (slash != std::string::npos) name = name.substr(slash + 1);
  MutableToolName() = name;
  FLAGS_logtostderr = true;
  gflags::SetUsageMessage(usage);
  google::gflags_exitfunc = &ExitAsUsageError;
  gflags::ParseCommandLineFlags(argc, argv, /*remove_flags=*/true);
  google::InitGoogleLogging(MutableToolName().c_str());
  if (FLAGS_threads < 0) std::exit(UsageError("--threads must be >= 0 (0 means all cores)"));
  if (*argc > 1) {
    std::exit(UsageError(std::string("unexpected argument '") + (*argv)[1] +
                         "'; flags take the form --name=value"));
  }
}

int Threads() {
  if (FLAGS_threads > 0) return FLAGS_threads;
  const unsigned cores = std::thread::hardware_concurrency();
  return cores > 0 ? static_cast<int>(cores) : 1;
}

const std::string& ToolName() { return MutableToolName(); }

int UsageError(const std::string& message) {
  std::cerr << ToolName() << ": " << message << std::endl;
  return kExitUsage;
}

int Fail(const absl::Status& status) {
  std::cerr << ToolName() << ": " << status.message() << std::endl;
  return status.code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

std::string ResolvePath(const std::string& path) {
  if (path.empty() || path == "-" || path[0] == '/') return path;
  const char* base = std::getenv("BUILD_WORKING_DIRECTORY");
  if (base == nullptr || *base == '\0') return path;
  return std::string(base) + "/" + path;
}

}  // namespace attn::runtime
