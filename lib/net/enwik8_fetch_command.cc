#include "lib/net/enwik8_fetch_command.h"

#include "lib/runtime/option_checks.h"
#include "lib/runtime/option_names.h"
#include "lib/runtime/tool.h"

namespace attn::net {

absl::Status RunEnwik8Fetch(const Enwik8FetchOptions& options) {
  if (options.output.empty()) {
    return absl::InvalidArgumentError(runtime::Opt("output") + " is empty; give a path or -");
  }
  if (options.member.empty()) {
    return absl::InvalidArgumentError(runtime::Opt("member") + " is empty; give the name in the zip");
  }
  for (const absl::Status& s :
       {runtime::CheckInteger("retries", options.retries, 0),
        runtime::CheckNumber("timeout_s", options.timeout_s, runtime::kPositive),
        runtime::CheckNumber("retry_delay_s", options.retry_delay_s, runtime::kNonNegative)}) {
    if (!s.ok()) return s;
  }
  absl::StatusOr<Expected> expected = ExpectedFromMd5Flag(options.md5);
  if (!expected.ok()) return expected.status();

  FetchOptions fetch;
  fetch.output = options.output;
  fetch.url = options.url;
  fetch.from_zip = options.from_zip;
  fetch.member = options.member;
  fetch.expected = *expected;
  fetch.download.timeout_s = options.timeout_s;
  fetch.download.retries = options.retries;
  fetch.download.retry_delay_s = options.retry_delay_s;
  absl::StatusOr<FetchResult> result = FetchEnwik8(fetch);
  if (!result.ok()) return result.status();
  runtime::Report(result->summary);
  return absl::OkStatus();
}

}  // namespace attn::net
