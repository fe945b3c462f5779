#include "lib/io/printable.h"

#include "absl/strings/escaping.h"

namespace attn::io {

std::string Printable(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return absl::CHexEscape(text);
  return absl::CHexEscape(text.substr(0, max_bytes)) + "...";
}

std::string OneLine(absl::string_view text, size_t max_bytes) {
  std::string out;
  for (const char c : text.substr(0, max_bytes)) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += absl::CHexEscape(absl::string_view(&c, 1));
    } else {
      out += c;
    }
  }
  return text.size() > max_bytes ? out + "..." : out;
}

}  // namespace attn::io
