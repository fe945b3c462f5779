#include "lib/analysis/outputs.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "lib/runtime/option_names.h"

namespace attn::analysis {

absl::StatusOr<Outputs> Outputs::Open(const std::vector<OutputSpec>& specs) {
  for (size_t a = 0; a < specs.size(); ++a) {
    for (size_t b = 0; b < a; ++b) {
      if (specs[a].path.empty() || specs[a].path != specs[b].path) continue;
      return absl::InvalidArgumentError(
          specs[a].path == "-"
              ? absl::StrCat(runtime::Opt(specs[b].option), " and ", runtime::Opt(specs[a].option),
                             " both go to stdout ('-'); give one of them a file")
              : absl::StrCat(runtime::Opt(specs[b].option), " and ", runtime::Opt(specs[a].option),
                             " name the same file '", specs[a].path, "'"));
    }
  }
  Outputs out;
  out.specs_ = specs;
  for (const OutputSpec& spec : specs) {
    out.files_.emplace_back();
    if (spec.path.empty()) continue;
    absl::StatusOr<io::AtomicFile> file = io::AtomicFile::Open(spec.path);
    if (!file.ok()) return file.status();
    out.files_.back().emplace(*std::move(file));
  }
  return out;
}

absl::Status Outputs::Commit(const std::vector<std::string>& texts) {
  // Every file on disk before anything is renamed or printed: what fails now leaves only
  // temporary files, which the writers remove.
  for (size_t f = 0; f < files_.size(); ++f) {
    if (!files_[f].has_value() || files_[f]->is_stdout()) continue;
    io::AtomicFile& file = *files_[f];
    if (absl::Status s = file.Write(texts[f]); !s.ok()) return s;
    if (std::fflush(file.stream()) != 0 || fsync(fileno(file.stream())) != 0) {
      return absl::InternalError(
          absl::StrCat("cannot write ", specs_[f].path, ": ", std::strerror(errno)));
    }
  }
  for (size_t f = 0; f < files_.size(); ++f) {
    if (!files_[f].has_value()) continue;
    io::AtomicFile& file = *files_[f];
    absl::Status s = file.is_stdout() ? file.Write(texts[f]) : absl::OkStatus();
    if (s.ok()) s = file.Commit();
    if (!s.ok()) {
      for (size_t done = 0; done < f; ++done) {
        if (files_[done].has_value() && !files_[done]->is_stdout()) {
          unlink(specs_[done].path.c_str());
        }
      }
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace attn::analysis
