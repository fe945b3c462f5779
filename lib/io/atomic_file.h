// Output files that appear whole or not at all (docs/design.md, section 8).
#ifndef ATTN_LIB_IO_ATOMIC_FILE_H_
#define ATTN_LIB_IO_ATOMIC_FILE_H_

#include <cstdio>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace attn::io {

// Writes to a temporary file beside `path` and renames it over `path` on Commit().
// Destroying an uncommitted writer removes the temporary file, so a failure (or an
// early return) never leaves a half-written output; so does SIGINT, SIGTERM or SIGHUP
// (lib/io/interrupt_cleanup.h). Path "-" writes straight to stdout.
class AtomicFile {
 public:
  // Creates the missing parent folders of `path` first (CreateParentFolders).
  static absl::StatusOr<AtomicFile> Open(const std::string& path);
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  // A write to a pipe whose reader has gone (EPIPE, with SIGPIPE ignored) is Cancelled.
  absl::Status Write(std::string_view bytes);
  absl::Status Write(const void* data, size_t size);
  // Flushes; for a file, fsyncs and renames into place.
  absl::Status Commit();

  // The stream being written (stdout for "-"), for code that needs a FILE*.
  FILE* stream() const { return file_; }
  const std::string& path() const { return path_; }
  bool is_stdout() const { return path_ == "-"; }

 private:
  AtomicFile(std::string path, std::string temp_path, FILE* file, int cleanup_handle);
  void Abandon();
  // Unlinks the temporary file and drops its registration.
  void RemoveTemporary();

  std::string path_;
  std::string temp_path_;
  FILE* file_ = nullptr;
  bool committed_ = false;
  int cleanup_handle_ = -1;  // the temporary file's registration for removal on a signal
};

// Creates the folders above `path` that do not exist yet, as mkdir -p does (mode 0777 less
// the umask). A parent that exists but is not a folder, or a folder that cannot be created,
// is an error naming it and `path`.
absl::Status CreateParentFolders(const std::string& path);

// Writes `bytes` to `path` atomically (creating its parent folders).
absl::Status WriteFileAtomically(const std::string& path, std::string_view bytes);

// Reads a whole file ("-" reads stdin).
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Opens `path` for reading ("-" gives stdin); the error names the path.
absl::StatusOr<FILE*> OpenForReading(const std::string& path);

}  // namespace attn::io

#endif  // ATTN_LIB_IO_ATOMIC_FILE_H_
