// The safetensors container (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header size, a JSON header {name: {dtype, shape, data_offsets}, ...,
// "__metadata__": {string: string}}, then the tensor bytes. Torch-free on purpose: the
// checkpoint code converts to and from torch tensors.
#ifndef ATTN_LIB_IO_SAFETENSORS_H_
#define ATTN_LIB_IO_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace attn::io {

struct SafetensorsTensor {
  std::string dtype;            // "F32", "I64", "BF16", ... as the format spells it
  std::vector<int64_t> shape;   // empty for a scalar
  std::string data;             // raw little-endian bytes, C order
};

struct Safetensors {
  std::map<std::string, SafetensorsTensor> tensors;  // sorted by name
  std::map<std::string, std::string> metadata;       // "__metadata__"
};

// Bytes per element of a safetensors dtype; InvalidArgument for an unknown one.
absl::StatusOr<int64_t> SafetensorsDtypeSize(const std::string& dtype);

// The file image: header padded with spaces to a multiple of 8 bytes (as the reference
// writer does), tensors laid out contiguously in name order. Fails when a tensor's byte
// count does not match its dtype and shape.
absl::StatusOr<std::string> SerializeSafetensors(const Safetensors& file);

// Parses a file image. Strict: a truncated image, a header size beyond the image, bad
// JSON, a non-object entry, an unknown dtype, a negative dimension, offsets out of range,
// overlapping or leaving holes, a byte count that does not match dtype and shape, or
// non-string metadata is an InvalidArgument error that starts with `source`.
absl::StatusOr<Safetensors> ParseSafetensors(std::string_view bytes, const std::string& source);

// Writes atomically (temp file + rename); reads and parses a file. Errors name the path.
absl::Status WriteSafetensors(const std::string& path, const Safetensors& file);
absl::StatusOr<Safetensors> ReadSafetensors(const std::string& path);

}  // namespace attn::io

#endif  // ATTN_LIB_IO_SAFETENSORS_H_
