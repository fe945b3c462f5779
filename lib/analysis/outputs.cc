#include "lib/analysis/outputs.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "lib/io/atomic_file.h"

namespace attn::analysis {

absl::Status WriteOutputs(const std::vector<Output>& outputs) {
  for (size_t a = 0; a < outputs.size(); ++a) {
    for (size_t b = 0; b < a; ++b) {
      if (outputs[a].path.empty() || outputs[a].path != outputs[b].path) continue;
      return absl::InvalidArgumentError(
          outputs[a].path == "-"
              ? absl::StrCat(outputs[b].option, " and ", outputs[a].option,
                             " both go to stdout ('-'); give one of them a file")
              : absl::StrCat(outputs[b].option, " and ", outputs[a].option,
                             " name the same file '", outputs[a].path, "'"));
    }
  }
  std::vector<io::AtomicFile> files;
  std::vector<const Output*> wanted;
  for (const Output& o : outputs) {
    if (o.path.empty()) continue;
    absl::StatusOr<io::AtomicFile> file = io::AtomicFile::Open(o.path);
    if (!file.ok()) return file.status();
    files.push_back(*std::move(file));
    wanted.push_back(&o);
  }
  // Every file on disk before anything is renamed or printed: what fails now leaves only
  // temporary files, which the writers remove.
  for (size_t f = 0; f < files.size(); ++f) {
    if (files[f].is_stdout()) continue;
    if (absl::Status s = files[f].Write(wanted[f]->text); !s.ok()) return s;
    if (std::fflush(files[f].stream()) != 0 || fsync(fileno(files[f].stream())) != 0) {
      return absl::InternalError(
          absl::StrCat("cannot write ", wanted[f]->path, ": ", std::strerror(errno)));
    }
  }
  for (size_t f = 0; f < files.size(); ++f) {
    absl::Status s = files[f].is_stdout() ? files[f].Write(wanted[f]->text) : absl::OkStatus();
    if (s.ok()) s = files[f].Commit();
    if (!s.ok()) {
      for (size_t done = 0; done < f; ++done) {
        if (!files[done].is_stdout()) unlink(wanted[done]->path.c_str());
      }
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace attn::analysis
