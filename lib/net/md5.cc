#include "lib/net/md5.h"

#include <cstdio>
#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace attn::net {

Md5::Md5() { md5_init(&ctx_); }

void Md5::Update(std::string_view bytes) { Update(bytes.data(), bytes.size()); }

void Md5::Update(const void* data, size_t size) {
  md5_update(&ctx_, size, static_cast<const uint8_t*>(data));
}

std::string Md5::HexDigest() {
  uint8_t digest[MD5_DIGEST_SIZE];
  md5_digest(&ctx_, MD5_DIGEST_SIZE, digest);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (uint8_t byte : digest) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 15];
  }
  return hex;
}

absl::StatusOr<std::string> Md5OfFile(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  Md5 md5;
  std::vector<char> buf(1 << 20);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), file)) > 0) md5.Update(buf.data(), n);
  const bool failed = std::ferror(file) != 0;
  const int err = errno;
  std::fclose(file);
  if (failed) return absl::InternalError(absl::StrCat("cannot read ", path, ": ", std::strerror(err)));
  return md5.HexDigest();
}

bool IsMd5Hex(std::string_view text) {
  if (text.size() != 2 * MD5_DIGEST_SIZE) return false;
  for (char c : text) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace attn::net
