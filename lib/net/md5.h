// MD5 digests for verifying downloads against a published checksum (Nettle underneath).
#ifndef ATTN_LIB_NET_MD5_H_
#define ATTN_LIB_NET_MD5_H_

#include <string>
#include <string_view>

#include <nettle/md5.h>

#include "absl/status/statusor.h"

namespace attn::net {

// Incremental MD5: Update() any number of times, then HexDigest() once.
class Md5 {
 public:
  Md5();
  void Update(std::string_view bytes);
  void Update(const void* data, size_t size);
  // The digest as 32 lowercase hex digits; resets the hash for reuse.
  std::string HexDigest();

 private:
  md5_ctx ctx_;
};

// The MD5 of a whole file, as 32 lowercase hex digits; the error names the path.
absl::StatusOr<std::string> Md5OfFile(const std::string& path);

// True for exactly 32 hex digits (either case).
bool IsMd5Hex(std::string_view text);

}  // namespace attn::net

#endif  // ATTN_LIB_NET_MD5_H_
