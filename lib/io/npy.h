// NumPy .npy records: the attention stream of docs/design.md (section 3) is a
// concatenation of float32 records that Python reads back with repeated np.load(f).
#ifndef ATTN_LIB_IO_NPY_H_
#define ATTN_LIB_IO_NPY_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/io/atomic_file.h"

namespace attn::io {

// The .npy v1.0 header (magic, version, length, dict, padding) for a little-endian
// float32 C-order array of `shape`, exactly as numpy.save writes it.
std::string NpyFloat32Header(const std::vector<int64_t>& shape);

// Appends one record (header + data) to `out`; `data` holds the product of `shape` floats.
absl::Status WriteNpyRecord(std::FILE* out, const float* data, const std::vector<int64_t>& shape);
absl::Status WriteNpyRecord(AtomicFile& out, const float* data, const std::vector<int64_t>& shape);

struct NpyHeader {
  std::vector<int64_t> shape;
  int64_t num_elements() const;
};

struct NpyRecord {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

// Reads concatenated float32 records one at a time from a stream that need not be
// seekable (a pipe). Accepts header versions 1.0, 2.0 and 3.0. Errors name the source
// and the 0-based record index. The reader does not own `file`.
//
// Hostile headers: a shape whose element count overflows is refused. When `file` is a
// regular file, so is a header whose data would run past the end of the file, so a
// consumer may size buffers from a header NextHeader accepted. On a pipe (or any stream
// of unknown size) nothing tells a header's claim from the truth until the data arrives:
// consumers must allocate as data arrives (as Next does), never from a header alone.
class NpyStreamReader {
 public:
  NpyStreamReader(std::FILE* file, std::string source_name);

  // Reads the next record whole. Returns false at a clean end of the stream (no bytes
  // left before a header); a partial header or payload is an error. `record`'s buffer is
  // reused, so a stream of equal records allocates once; on a stream of unknown size it
  // grows with the data that arrives.
  absl::StatusOr<bool> Next(NpyRecord* record);

  // The same in pieces, for consumers that never hold a whole record: NextHeader, then
  // ReadData calls that together take header->num_elements() floats. Unread data of a
  // record is skipped by the next NextHeader.
  absl::StatusOr<bool> NextHeader(NpyHeader* header);
  absl::Status ReadData(float* out, int64_t count);

  // Index of the current record (the one NextHeader returned last), -1 before the first.
  int64_t record_index() const { return record_index_; }
  // Bytes consumed so far (headers and data).
  int64_t bytes_read() const { return bytes_read_; }
  const std::string& source_name() const { return source_name_; }

 private:
  absl::Status Error(const std::string& message) const;
  // Bytes between the read position and the end of a regular file; -1 for other streams.
  int64_t BytesLeftInFile() const;
  // Reads exactly `size` bytes; `got` receives what was read before an end of stream.
  absl::Status ReadExactly(void* out, size_t size, size_t* got);

  std::FILE* file_;
  std::string source_name_;
  int64_t record_index_ = -1;
  int64_t remaining_ = 0;  // floats of the current record not yet read
  int64_t bytes_read_ = 0;
  bool regular_file_ = false;  // its size is known, so headers can be checked against it
};

}  // namespace attn::io

#endif  // ATTN_LIB_IO_NPY_H_
