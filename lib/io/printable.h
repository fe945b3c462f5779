// Text taken from an input, made fit to quote inside a one-line error message.
#ifndef ATTN_LIB_IO_PRINTABLE_H_
#define ATTN_LIB_IO_PRINTABLE_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace attn::io {

// `text` with line breaks, other control bytes, quotes, backslashes and non-ASCII bytes
// C-escaped ("\n", "\x93"), cut after its first `max_bytes` bytes with "..." appended: a
// hostile file cannot split an error over lines or make it megabytes long.
std::string Printable(absl::string_view text, size_t max_bytes = 64);

// A message built from an input's strings as one line: only its control bytes (line
// breaks, tabs, DEL) escaped, so that its quotes and UTF-8 stay readable, and cut after
// `max_bytes` with "..." appended.
std::string OneLine(absl::string_view text, size_t max_bytes = 900);

}  // namespace attn::io

#endif  // ATTN_LIB_IO_PRINTABLE_H_
