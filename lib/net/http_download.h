// HTTP(S) download with libcurl: retries with back-off, resume by Range, progress on stderr.
#ifndef ATTN_LIB_NET_HTTP_DOWNLOAD_H_
#define ATTN_LIB_NET_HTTP_DOWNLOAD_H_

#include <string>

#include "absl/status/status.h"

namespace attn::net {

struct DownloadOptions {
  // Longest wait for a connection, and longest stall (no byte at all) of a transfer;
  // not a limit on the whole download, which may take long on a slow link.
  double timeout_s = 60;
  // Further attempts after a transient failure (see IsTransientDownloadError).
  int retries = 5;
  // Wait before the first retry; it doubles for each further retry, up to 60 s.
  double retry_delay_s = 1;
  // Names the transfer in progress lines.
  std::string label = "download";
};

// Downloads `url` into `part_path`. Bytes already in `part_path` (an earlier, interrupted
// download) are kept and only the rest is requested, with "Range: bytes=N-"; a server that
// ignores the Range and answers 200 gets the file rewritten from the start, and one that
// answers 416 (the part is not a prefix of the resource) gets one fresh start. A transfer
// cut midway is resumed the same way by the next attempt. On success `part_path` holds the
// whole resource. On failure it keeps what arrived, so a later call resumes it.
//
// Errors name the URL: NotFound (HTTP 404/410), Unavailable (connection failure, HTTP 5xx,
// 408 or 429, a cut transfer), DeadlineExceeded (connect timeout or stall), InvalidArgument
// (malformed URL or unsupported scheme), FailedPrecondition (another HTTP error, TLS
// problems), or the error of writing `part_path`.
absl::Status DownloadFile(const std::string& url, const std::string& part_path,
                          const DownloadOptions& options);

// True for errors of DownloadFile that a retry (or a later run) may not meet again.
bool IsTransientDownloadError(const absl::Status& status);

// Seconds to wait before retry number `retry` (0 for the first).
double RetryDelay(const DownloadOptions& options, int retry);

}  // namespace attn::net

#endif  // ATTN_LIB_NET_HTTP_DOWNLOAD_H_
