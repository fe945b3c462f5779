#include "lib/data/byte_corpus.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/io/atomic_file.h"

namespace attn::data {
namespace {

absl::Status ErrnoError(const std::string& what, const std::string& path) {
  const int err = errno;
  const std::string message = absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(message);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
  return absl::InternalError(message);
}

}  // namespace

absl::StatusOr<ByteCorpus> ByteCorpus::Open(const std::string& path) {
  ByteCorpus corpus;
  corpus.path_ = path;
  const std::string name = path == "-" ? "stdin" : path;
  struct stat st;
  int fd = -1;
  if (path != "-") {
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoError("open input", path);
    if (fstat(fd, &st) != 0) {
      const absl::Status status = ErrnoError("stat input", path);
      close(fd);
      return status;
    }
    if (S_ISDIR(st.st_mode)) {
      close(fd);
      return absl::FailedPreconditionError(
          absl::StrCat("input ", path, " is a directory; give a file"));
    }
  }
  if (fd >= 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    void* map = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    const absl::Status status =
        map == MAP_FAILED ? ErrnoError("map input", path) : absl::OkStatus();
    close(fd);
    if (!status.ok()) return status;
    madvise(map, static_cast<size_t>(st.st_size), MADV_SEQUENTIAL);
    corpus.mapped_ = static_cast<const char*>(map);
    corpus.mapped_size_ = static_cast<size_t>(st.st_size);
  } else if (fd >= 0) {
    close(fd);
    absl::StatusOr<std::string> data = io::ReadFile(path);
    if (!data.ok()) return data.status();
    corpus.owned_ = *std::move(data);
  } else {
    absl::StatusOr<std::string> data = io::ReadFile("-");
    if (!data.ok()) return data.status();
    corpus.owned_ = *std::move(data);
  }
  if (corpus.size() == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("input ", name, " is empty; give a non-empty corpus"));
  }
  return corpus;
}

ByteCorpus::ByteCorpus(ByteCorpus&& other) noexcept
    : path_(std::move(other.path_)),
      mapped_(std::exchange(other.mapped_, nullptr)),
      mapped_size_(std::exchange(other.mapped_size_, 0)),
      owned_(std::move(other.owned_)) {}

ByteCorpus& ByteCorpus::operator=(ByteCorpus&& other) noexcept {
  if (this != &other) {
    Unmap();
    path_ = std::move(other.path_);
    mapped_ = std::exchange(other.mapped_, nullptr);
    mapped_size_ = std::exchange(other.mapped_size_, 0);
    owned_ = std::move(other.owned_);
  }
  return *this;
}

ByteCorpus::~ByteCorpus() { Unmap(); }

void ByteCorpus::Unmap() {
  if (mapped_ != nullptr) munmap(const_cast<char*>(mapped_), mapped_size_);
  mapped_ = nullptr;
  mapped_size_ = 0;
}

}  // namespace attn::data
