// Process set-up and the conventions every tool shares (docs/design.md, "Conventions for
// every tool").
//
// How a tool is put together; every tool follows this:
// - tools/<tool>_main.cc holds the flags (gflags DEFINE_ only in tools/, bench/ and test
//   mains) and nothing else: tools::InitMain (or InitTorchMain), an options struct filled
//   from the flags, ONE call of `absl::Status Run<Tool>(const <Tool>Options&)` declared in
//   lib/<concern>/<tool>_command.h, made through runtime::RunCommand, which returns the
//   exit code. Paths go through ResolvePath in the main.
// - Option fields are named as their flags. Library messages name an option with
//   Opt("seq_len") (lib/runtime/option_names.h), never as "--seq_len"; the runtime prints
//   them spelled as this tool's flags. Numeric options are checked with
//   lib/runtime/option_checks.h, which refuses NaN and infinities.
// - Exit codes: 0 success; 2 usage error = a status kInvalidArgument: a bad option value
//   or combination, found before any work; 1 runtime failure = any other status: a
//   missing, unreadable or malformed input, an option the input contradicts (a --seq_len
//   beyond the checkpoint's table, a head it does not have), an unwritable output. Errors
//   from reading an input pass through InputError, so that a parser's kInvalidArgument
//   still exits 1.
// - Every error is ONE line on stderr, "tool: message", naming the input and what to do.
//   RunCommand turns an escaping C++ exception or LibTorch error (c10::Error) into such a
//   line and exit 1: no tool ends with a stack trace or std::terminate.
// - A closed pipe downstream: SIGPIPE is ignored (InitTool), a write that fails with
//   EPIPE is a kCancelled status (lib/io/atomic_file), and a tool whose reader went away
//   stops at once and exits 0 quietly, as `dump_attention | head -c 100` expects. Output
//   to a pipe or terminal is flushed as it is produced, so the tool notices at once.
// - A failed run leaves no file it created; side outputs are committed together with the
//   main output, never before it.
// - --help shows the usage, an example and the tool's own flags; --helpfull all flags
//   (gflags, glog, LibTorch); --version the project version, the commit it was built
//   from and, for LibTorch tools, LibTorch and the BLAS in use.
#ifndef ATTN_LIB_RUNTIME_TOOL_H_
#define ATTN_LIB_RUNTIME_TOOL_H_

#include <exception>
#include <functional>
#include <string>

#include "absl/status/status.h"

namespace attn::runtime {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// The settings every tool shares, read from flags the mains define (tools/tool_main).
struct ToolSettings {
  int threads = 0;  // worker threads; 0 means the default of lib/runtime/thread_policy.h
};

struct ToolSetup {
  // The usage line(s) and an example, shown first by --help.
  const char* usage = "";
  // Reads the shared settings once the flags are parsed; null: the defaults.
  ToolSettings (*settings)() = nullptr;
  // Extra --version lines (LibTorch and the BLAS); null: none.
  std::string (*version_details)() = nullptr;
};

// Parses the flags (an unknown flag or a bad value exits with kExitUsage, not gflags' 1;
// "-h" is --help), answers --help, --helpshort, --helpfull and --version, sends glog to
// stderr, ignores SIGPIPE, names the tool in error lines and applies the shared settings.
void InitTool(int* argc, char*** argv, const ToolSetup& setup);

// Worker threads the shared settings ask for; 0 resolves to DefaultThreadsHere()
// (lib/runtime/thread_policy.h: the cores divided among the jobs of a parallel make).
int Threads();

// Whether the thread count is the default rather than one the user gave.
bool ThreadsByDefault();

// The tool's name as InitTool recorded it ("tool" before InitTool).
const std::string& ToolName();

// The message with its marked option names spelled as this tool's flags ("--seq_len"),
// and names it has no flag for as bare names.
std::string SpellForThisTool(const std::string& message);

// Prints "tool: message" as one line on stderr and returns kExitUsage.
int UsageError(const std::string& message);

// Prints "tool: <status message>" as one line on stderr and returns kExitUsage for
// kInvalidArgument, kExitFailure otherwise.
int Fail(const absl::Status& status);

// Prints "tool: message" (or "tool: warning: message") as one line on stderr.
void Report(const std::string& message);
void Warn(const std::string& message);

// Runs a tool's command and returns the exit code: kExitOk on success and when the
// command was cancelled because the reader of its output went away; otherwise as Fail.
// An exception that escapes the command is one line on stderr and kExitFailure.
int RunCommand(const std::function<absl::Status()>& command);

// An exception as a status: kInternal with the first line of its message (LibTorch's
// errors append a backtrace), for code that must clean up before it returns.
absl::Status StatusFromException(const std::exception& error);

// An error from reading an input file is a runtime failure, whatever code the reader
// chose: kInvalidArgument becomes kFailedPrecondition, with the same message.
absl::Status InputError(const absl::Status& status);

// A path as the user meant it: "-" and absolute paths are kept; relative paths resolve
// against BUILD_WORKING_DIRECTORY under `bazel run`, otherwise against the cwd.
std::string ResolvePath(const std::string& path);

}  // namespace attn::runtime

#endif  // ATTN_LIB_RUNTIME_TOOL_H_
