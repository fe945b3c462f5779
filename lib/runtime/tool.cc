#include "lib/runtime/tool.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <vector>

#include "gflags/gflags.h"
#include "glog/logging.h"
#include "lib/runtime/flag_help.h"
#include "lib/runtime/option_names.h"
#include "lib/runtime/thread_policy.h"
#include "lib/runtime/version.h"

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

ToolSettings& MutableSettings() {
  static ToolSettings settings;
  return settings;
}

void ExitAsUsageError(int code) { std::exit(code == 0 ? 0 : kExitUsage); }
// gflags ends every help it prints with exit status 1; asking for help is a success.
void ExitAfterHelp(int /*code*/) { std::exit(kExitOk); }

bool BoolFlag(const char* name) {
  std::string value;
  return gflags::GetCommandLineOption(name, &value) && value == "true";
}

std::vector<FlagDescription> AllFlags() {
  std::vector<gflags::CommandLineFlagInfo> infos;
  gflags::GetAllFlags(&infos);
  std::vector<FlagDescription> flags;
  for (const auto& info : infos) {
    flags.push_back({info.name, info.type, info.description, info.default_value, info.filename});
  }
  return flags;
}

// Whether gflags reads the argument after `arg` as its value: "--name" (no "=") of a
// flag that is not a bool.
bool TakesNextArgument(const char* arg) {
  if (arg[0] != '-' || std::strchr(arg, '=') != nullptr) return false;
  const std::string name = arg + (arg[1] == '-' ? 2 : 1);
  gflags::CommandLineFlagInfo info;
  return gflags::GetCommandLineFlagInfo(name.c_str(), &info) && info.type != "bool";
}

// --help and --helpshort: our own text; --version: ours; the rest (--helpfull,
// --helpmatch, ...) as gflags answers them.
void AnswerHelpFlags(const ToolSetup& setup) {
  if (BoolFlag("help") || BoolFlag("helpshort")) {
    std::fputs(HelpText(ToolName(), setup.usage, AllFlags()).c_str(), stdout);
    std::exit(kExitOk);
  }
  if (BoolFlag("version")) {
    std::printf("%s: %s\n", ToolName().c_str(), VersionLine().c_str());
    if (setup.version_details != nullptr) std::fputs(setup.version_details().c_str(), stdout);
    std::exit(kExitOk);
  }
  google::gflags_exitfunc = &ExitAfterHelp;
  gflags::HandleCommandLineHelpFlags();
  google::gflags_exitfunc = &ExitAsUsageError;
}

// The first line of an exception's text: LibTorch appends a backtrace to its own.
std::string FirstLine(const char* text) {
  std::string line = text == nullptr ? "" : text;
  line = line.substr(0, line.find('\n'));
  return line.empty() ? "unknown error" : line;
}

}  // namespace

void InitTool(int* argc, char*** argv, const ToolSetup& setup) {
  std::string name = (*argc > 0 && (*argv)[0] != nullptr) ? (*argv)[0] : "tool";
  const size_t slash = name.rfind('/');
  if (slash != std::string::npos) name = name.substr(slash + 1);
  MutableToolName() = name;
  FLAGS_logtostderr = true;
  // A reader that goes away makes writes fail with EPIPE, which each tool handles.
  std::signal(SIGPIPE, SIG_IGN);
  // "-h" is --help, unless it is the value of the flag before it ("--prompt -h").
  static char help[] = "--help";
  for (int i = 1; i < *argc; ++i) {
    if (std::strcmp((*argv)[i], "-h") == 0 && !TakesNextArgument((*argv)[i - 1])) (*argv)[i] = help;
  }
  gflags::SetUsageMessage(setup.usage);
  google::gflags_exitfunc = &ExitAsUsageError;
  gflags::ParseCommandLineNonHelpFlags(argc, argv, /*remove_flags=*/true);
  AnswerHelpFlags(setup);
  google::InitGoogleLogging(MutableToolName().c_str());
  if (setup.settings != nullptr) MutableSettings() = setup.settings();
  if (MutableSettings().threads < 0) {
    std::exit(UsageError(Opt("threads") + "=" + std::to_string(MutableSettings().threads) +
                         " must be >= 0 (0 means the default)"));
  }
  if (*argc > 1) {
    std::exit(UsageError(std::string("unexpected argument '") + (*argv)[1] +
                         "'; flags take the form --name=value"));
  }
}

int Threads() {
  if (MutableSettings().threads > 0) return MutableSettings().threads;
  return DefaultThreadsHere();
}

bool ThreadsByDefault() { return MutableSettings().threads == 0; }

const std::string& ToolName() { return MutableToolName(); }

std::string SpellForThisTool(const std::string& message) {
  return SpellOptions(message, [](std::string_view field) {
    gflags::CommandLineFlagInfo info;
    const std::string name(field);
    return gflags::GetCommandLineFlagInfo(name.c_str(), &info) ? "--" + name : name;
  });
}

void Report(const std::string& message) {
  std::string line = SpellForThisTool(message);
  for (char& c : line) {
    if (c == '\n') c = ' ';  // one line, whatever the message holds
  }
  std::cerr << ToolName() << ": " << line << std::endl;
}

void Warn(const std::string& message) { Report("warning: " + message); }

int UsageError(const std::string& message) {
  Report(message);
  return kExitUsage;
}

int Fail(const absl::Status& status) {
  Report(std::string(status.message()));
  return status.code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

int RunCommand(const std::function<absl::Status()>& command) {
  try {
    const absl::Status status = command();
    if (status.ok() || absl::IsCancelled(status)) return kExitOk;
    return Fail(status);
  } catch (const std::exception& e) {
    Report(std::string(StatusFromException(e).message()));
  } catch (...) {
    Report("stopped by an unknown exception");
  }
  return kExitFailure;
}

absl::Status StatusFromException(const std::exception& error) {
  return absl::InternalError(FirstLine(error.what()));
}

absl::Status InputError(const absl::Status& status) {
  if (!absl::IsInvalidArgument(status)) return status;
  return absl::FailedPreconditionError(status.message());
}

std::string ResolvePath(const std::string& path) {
  if (path.empty() || path == "-" || path[0] == '/') return path;
  const char* base = std::getenv("BUILD_WORKING_DIRECTORY");
  if (base == nullptr || *base == '\0') return path;
  return std::string(base) + "/" + path;
}

}  // namespace attn::runtime
