#include "lib/io/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/io/interrupt_cleanup.h"

namespace attn::io {
namespace {

absl::Status ErrnoError(const std::string& what, const std::string& path) {
  const int err = errno;
  const std::string message = absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(message);
  // The reader of a pipe went away (`tool | head`): not a failure of ours.
  if (err == EPIPE) return absl::CancelledError(message);
  if (err == EACCES || err == EPERM || err == EROFS) return absl::PermissionDeniedError(message);
  return absl::InternalError(message);
}

bool IsFolder(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

absl::Status CreateParentFolders(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return absl::OkStatus();
  const std::string parent = path.substr(0, slash);
  if (IsFolder(parent)) return absl::OkStatus();
  // Each prefix that ends before a '/', shortest first ("a", "a/b"); "//" and a leading
  // "/" give empty or root prefixes, which exist.
  for (size_t end = path.find('/', 1); end != std::string::npos && end <= slash; end = path.find('/', end + 1)) {
    const std::string folder = path.substr(0, end);
    if (folder.back() == '/' || mkdir(folder.c_str(), 0777) == 0) continue;
    const int err = errno;
    if (IsFolder(folder)) continue;  // it exists (EEXIST, or EACCES/EROFS on an existing one)
    struct stat st;
    if (err == EEXIST || stat(folder.c_str(), &st) == 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot create the folder for ", path, ": ", folder, " exists and is not a folder"));
    }
    errno = err;
    return ErrnoError(absl::StrCat("create the folder ", folder, " for"), path);
  }
  return absl::OkStatus();
}

absl::StatusOr<AtomicFile> AtomicFile::Open(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("empty output path");
  if (path == "-") return AtomicFile(path, "", stdout, -1);
  if (absl::Status s = CreateParentFolders(path); !s.ok()) return s;
  std::string temp = path + ".tmp.XXXXXX";
  const int fd = mkstemp(temp.data());
  if (fd < 0) return ErrnoError("create a file beside", path);
  // Registered before anything else can fail, so a signal from here on removes it.
  const int cleanup_handle = RegisterTempFile(temp);
  // mkstemp creates 0600; give the file the mode a plain open() would have.
  const mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  FILE* file = fdopen(fd, "wb");
  if (file == nullptr) {
    const absl::Status status = ErrnoError("open", temp);
    close(fd);
    unlink(temp.c_str());
    UnregisterTempFile(cleanup_handle);
    return status;
  }
  return AtomicFile(path, temp, file, cleanup_handle);
}

AtomicFile::AtomicFile(std::string path, std::string temp_path, FILE* file, int cleanup_handle)
    : path_(std::move(path)), temp_path_(std::move(temp_path)), file_(file), cleanup_handle_(cleanup_handle) {}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      file_(std::exchange(other.file_, nullptr)),
      committed_(other.committed_),
      cleanup_handle_(std::exchange(other.cleanup_handle_, -1)) {}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    Abandon();
    path_ = std::move(other.path_);
    temp_path_ = std::move(other.temp_path_);
    file_ = std::exchange(other.file_, nullptr);
    committed_ = other.committed_;
    cleanup_handle_ = std::exchange(other.cleanup_handle_, -1);
  }
  return *this;
}

AtomicFile::~AtomicFile() { Abandon(); }

void AtomicFile::RemoveTemporary() {
  unlink(temp_path_.c_str());
  UnregisterTempFile(std::exchange(cleanup_handle_, -1));
}

void AtomicFile::Abandon() {
  if (file_ == nullptr) return;
  if (is_stdout()) {
    std::fflush(file_);
  } else {
    std::fclose(file_);
    RemoveTemporary();
  }
  file_ = nullptr;
}

absl::Status AtomicFile::Write(std::string_view bytes) { return Write(bytes.data(), bytes.size()); }

absl::Status AtomicFile::Write(const void* data, size_t size) {
  if (file_ == nullptr) return absl::FailedPreconditionError("write to a closed file " + path_);
  if (size > 0 && std::fwrite(data, 1, size, file_) != size) {
    return ErrnoError("write", is_stdout() ? "stdout" : path_);
  }
  return absl::OkStatus();
}

absl::Status AtomicFile::Commit() {
  if (file_ == nullptr) return absl::FailedPreconditionError("commit of a closed file " + path_);
  if (is_stdout()) {
    if (std::fflush(file_) != 0) return ErrnoError("write", "stdout");
    file_ = nullptr;
    committed_ = true;
    return absl::OkStatus();
  }
  if (std::fflush(file_) != 0 || fsync(fileno(file_)) != 0) {
    const absl::Status status = ErrnoError("write", path_);
    Abandon();
    return status;
  }
  FILE* file = std::exchange(file_, nullptr);
  if (std::fclose(file) != 0) {
    const absl::Status status = ErrnoError("close", path_);
    RemoveTemporary();
    return status;
  }
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const absl::Status status = ErrnoError("rename into place", path_);
    RemoveTemporary();
    return status;
  }
  UnregisterTempFile(std::exchange(cleanup_handle_, -1));
  committed_ = true;
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, std::string_view bytes) {
  absl::StatusOr<AtomicFile> file = AtomicFile::Open(path);
  if (!file.ok()) return file.status();
  if (absl::Status s = file->Write(bytes); !s.ok()) return s;
  return file->Commit();
}

absl::StatusOr<FILE*> OpenForReading(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("empty input path");
  if (path == "-") return stdin;
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return ErrnoError("open", path);
  return file;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  absl::StatusOr<FILE*> file = OpenForReading(path);
  if (!file.ok()) return file.status();
  std::string data;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, *file)) > 0) data.append(buf, n);
  const bool failed = std::ferror(*file);
  if (*file != stdin) std::fclose(*file);
  if (failed) return ErrnoError("read", path);
  return data;
}

}  // namespace attn::io
