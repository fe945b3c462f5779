#include "fuzz/input_stream.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace attn::fuzz {
namespace {

bool WriteAll(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// A pipe holding the bytes, its write end closed: no writer thread, so the bytes must fit
// in the pipe's buffer.
FILE* FilledPipe(const uint8_t* data, size_t size) {
  int fds[2];
  if (pipe(fds) != 0) return nullptr;
  const int capacity = fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
  const bool ok = capacity > 0 && size <= static_cast<size_t>(capacity) && WriteAll(fds[1], data, size);
  close(fds[1]);
  FILE* file = ok ? fdopen(fds[0], "rb") : nullptr;
  if (file == nullptr) close(fds[0]);
  return file;
}

// An anonymous regular file: the reader can fstat its size, as with --input=FILE.
FILE* FilledFile(const uint8_t* data, size_t size) {
  const int fd = memfd_create("fuzz_input", MFD_CLOEXEC);
  if (fd < 0) return nullptr;
  if (!WriteAll(fd, data, size) || lseek(fd, 0, SEEK_SET) != 0) {
    close(fd);
    return nullptr;
  }
  FILE* file = fdopen(fd, "rb");
  if (file == nullptr) close(fd);
  return file;
}

}  // namespace

FILE* OpenInput(const uint8_t* data, size_t size, bool as_pipe) {
  return as_pipe ? FilledPipe(data, size) : FilledFile(data, size);
}

}  // namespace attn::fuzz
