#include "lib/io/printable.h"

#include "absl/strings/escaping.h"

namespace attn::io {

std::string Printable(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return absl::CHexEscape(text);
  return absl::CHexEscape(text.substr(0, max_bytes)) + "...";
}

}  // namespace attn::io
