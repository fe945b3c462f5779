// Properties every fuzz target asserts; a failed one aborts, which libFuzzer reports.
#ifndef ATTN_FUZZ_CHECK_H_
#define ATTN_FUZZ_CHECK_H_

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace attn::fuzz {

inline void Check(bool ok) {
  if (!ok) std::abort();
}

// A tool prints an error as one line on stderr: no line break, and short enough to read
// whatever the input held.
inline void CheckOneLineError(const absl::Status& status) {
  const absl::string_view message = status.message();
  Check(status.ok() || (!message.empty() && message.size() <= 1000 &&
                        message.find_first_of("\n\r") == absl::string_view::npos));
}

}  // namespace attn::fuzz

#endif  // ATTN_FUZZ_CHECK_H_
