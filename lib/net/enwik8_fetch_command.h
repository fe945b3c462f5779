// The enwik8_fetch tool: its options, checked, and the fetch (lib/net/enwik8_fetch.h).
#ifndef ATTN_LIB_NET_ENWIK8_FETCH_COMMAND_H_
#define ATTN_LIB_NET_ENWIK8_FETCH_COMMAND_H_

#include <string>

#include "absl/status/status.h"
#include "lib/net/enwik8_fetch.h"

namespace attn::net {

struct Enwik8FetchOptions {
  std::string output = "data/enwik8";  // "-" is stdout
  std::string url = kEnwik8Url;
  std::string from_zip;                // read this local zip instead of downloading url
  std::string member = kEnwik8Member;
  std::string md5 = kEnwik8Md5;        // 32 hex digits, or "skip"
  double timeout_s = 60;               // per connection or stall, then retry
  int retries = 5;
  double retry_delay_s = 1;            // doubles each retry, up to 60 s
};

// Checks the options (InvalidArgument naming the option), fetches the member verified,
// and reports on stderr what was done.
absl::Status RunEnwik8Fetch(const Enwik8FetchOptions& options);

}  // namespace attn::net

#endif  // ATTN_LIB_NET_ENWIK8_FETCH_COMMAND_H_
