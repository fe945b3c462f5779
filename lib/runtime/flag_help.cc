#include "lib/runtime/flag_help.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace attn::runtime {

bool IsOwnFlag(const FlagDescription& flag) {
  for (const char* folder : {"tools/", "bench/", "lib/"}) {
    if (absl::StartsWith(flag.file, folder)) return true;
  }
  return false;
}

std::string HelpText(const std::string& tool, const std::string& usage,
                     const std::vector<FlagDescription>& flags) {
  std::vector<const FlagDescription*> own;
  for (const FlagDescription& flag : flags) {
    if (IsOwnFlag(flag)) own.push_back(&flag);
  }
  const std::string main_file = absl::StrCat("/", tool, "_main.cc");
  auto group = [&](const FlagDescription* f) { return absl::EndsWith(f->file, main_file) ? 0 : 1; };
  std::sort(own.begin(), own.end(), [&](const FlagDescription* a, const FlagDescription* b) {
    return std::make_tuple(group(a), a->name) < std::make_tuple(group(b), b->name);
  });
  std::string text = absl::StrCat(usage, "\n\nFlags:\n");
  for (const FlagDescription* f : own) {
    std::string value = f->default_value;
    double number;
    if (f->type == "string" && value.empty()) {
      value = "\"\"";
    } else if (f->type == "double" && absl::SimpleAtod(value, &number)) {
      value = absl::StrFormat("%g", number);  // gflags keeps 17 digits: 0.10000000000000001
    }
    absl::StrAppend(&text, "  --", f->name, "=", value, "  ", f->description, "\n");
  }
  absl::StrAppend(&text, "--helpfull lists every flag (also glog's and LibTorch's); "
                         "--version shows the build.\n");
  return text;
}

}  // namespace attn::runtime
