// Reading one member of a zip archive (libzip), streamed in chunks.
#ifndef ATTN_LIB_NET_ZIP_READER_H_
#define ATTN_LIB_NET_ZIP_READER_H_

#include <zip.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace attn::net {

class ZipMemberReader {
 public:
  // Opens `member` of the archive at `zip_path`. Errors name the archive: NotFound for a
  // missing archive or member (the message lists what the archive holds), DataLoss for a
  // file that is not a zip or is truncated, Unimplemented for an unsupported compression.
  static absl::StatusOr<ZipMemberReader> Open(const std::string& zip_path,
                                              const std::string& member);

  // The member's uncompressed size in bytes, as the archive records it.
  int64_t size() const { return size_; }

  // Reads up to `capacity` bytes into `buffer`; 0 means the member has ended. The
  // member's CRC-32 is checked when it ends, so corrupt data gives DataLoss, not bytes.
  absl::StatusOr<size_t> Read(char* buffer, size_t capacity);

 private:
  struct ArchiveCloser {
    void operator()(zip_t* archive) const { zip_discard(archive); }
  };
  struct FileCloser {
    void operator()(zip_file_t* file) const { zip_fclose(file); }
  };

  ZipMemberReader(std::string description, std::unique_ptr<zip_t, ArchiveCloser> archive,
                  std::unique_ptr<zip_file_t, FileCloser> file, int64_t size);

  std::string description_;  // "member M of archive Z", for error messages
  // Declared before file_ so the member is closed before its archive.
  std::unique_ptr<zip_t, ArchiveCloser> archive_;
  std::unique_ptr<zip_file_t, FileCloser> file_;
  int64_t size_;
};

}  // namespace attn::net

#endif  // ATTN_LIB_NET_ZIP_READER_H_
