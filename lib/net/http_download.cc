#include "lib/net/http_download.h"

#include <curl/curl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "glog/logging.h"
#include "lib/runtime/progress.h"

namespace attn::net {
namespace {

constexpr double kMaxRetryDelayS = 60;

int64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

// One attempt's state, shared with libcurl's callbacks.
struct Transfer {
  CURL* curl = nullptr;
  std::string url;
  std::string part_path;
  std::string label;
  int64_t offset = 0;    // bytes of `part_path` kept; the Range asked for the rest
  int64_t received = 0;  // body bytes written by this attempt
  // From the Content-Range header of a 206 answer; -1 when absent.
  int64_t range_start = -1;
  bool started = false;  // the body's destination is decided (and opened)
  double timeout_s = 0;
  std::chrono::steady_clock::time_point last_byte = std::chrono::steady_clock::now();
  bool stalled = false;
  FILE* file = nullptr;
  absl::Status error;  // why a callback stopped the transfer
  std::unique_ptr<runtime::Progress> progress;

  ~Transfer() {
    if (file != nullptr) std::fclose(file);
  }
};

// Decides where the body goes, once the answer's status is known.
bool StartBody(Transfer& t) {
  t.started = true;
  long code = 0;
  curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &code);
  if (t.offset > 0 && code == 200) {
    LOG(WARNING) << t.url << " ignored the Range request; downloading from the start";
    t.offset = 0;
  } else if (t.offset > 0 && code == 206 && t.range_start != t.offset) {
    // Bytes from elsewhere cannot extend the part: drop it so the retry starts over.
    std::remove(t.part_path.c_str());
    t.error = absl::UnavailableError(absl::StrFormat(
        "cannot download %s: asked for bytes from %d, the server sent bytes from %d", t.url,
        t.offset, t.range_start));
    return false;
  }
  t.file = std::fopen(t.part_path.c_str(), t.offset > 0 ? "ab" : "wb");
  if (t.file == nullptr) {
    t.error = absl::FailedPreconditionError(
        absl::StrCat("cannot write ", t.part_path, ": ", std::strerror(errno)));
    return false;
  }
  curl_off_t length = -1;
  curl_easy_getinfo(t.curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
  t.progress = std::make_unique<runtime::Progress>(t.label, length >= 0 ? t.offset + length : -1,
                                                   "B");
  return true;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  Transfer& t = *static_cast<Transfer*>(user);
  const std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) t.range_start = -1;  // a new answer (after a redirect)
  constexpr char kRange[] = "content-range:";
  if (absl::AsciiStrToLower(line.substr(0, sizeof(kRange) - 1)) == kRange) {
    long long start = -1;
    if (std::sscanf(line.c_str() + sizeof(kRange) - 1, " bytes %lld-", &start) == 1) {
      t.range_start = start;
    }
  }
  return size * count;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  Transfer& t = *static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (!t.started && !StartBody(t)) return 0;
  if (std::fwrite(data, 1, n, t.file) != n) {
    t.error = absl::ResourceExhaustedError(
        absl::StrCat("cannot write ", t.part_path, ": ", std::strerror(errno)));
    return 0;
  }
  t.received += static_cast<int64_t>(n);
  t.last_byte = std::chrono::steady_clock::now();
  t.progress->Update(t.offset + t.received);
  return n;
}

// libcurl calls this about once a second even when nothing arrives. Its own low-speed
// check averages over several seconds, so it would fire well after timeout_s.
int OnTick(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  Transfer& t = *static_cast<Transfer*>(user);
  const std::chrono::duration<double> idle = std::chrono::steady_clock::now() - t.last_byte;
  t.stalled = idle.count() > t.timeout_s;
  return t.stalled ? 1 : 0;
}

absl::Status HttpError(const std::string& url, long code) {
  const std::string message = absl::StrCat("cannot download ", url, ": HTTP ", code);
  if (code == 404 || code == 410) return absl::NotFoundError(message + " (not found); check `url`");
  if (code >= 500 || code == 408 || code == 429) return absl::UnavailableError(message);
  if (code == 416) return absl::OutOfRangeError(message);
  return absl::FailedPreconditionError(message);
}

absl::Status CurlError(const std::string& url, CURLcode code, const char* detail,
                       double timeout_s) {
  const std::string message =
      absl::StrCat("cannot download ", url, ": ", *detail ? detail : curl_easy_strerror(code));
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
      return absl::UnavailableError(message);
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(
          absl::StrFormat("%s (`timeout_s`=%g)", message, timeout_s));
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::InvalidArgumentError(message + "; check `url`");
    default:
      return absl::FailedPreconditionError(message);
  }
}

struct CurlCleanup {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};

absl::Status Attempt(const std::string& url, const std::string& part_path,
                     const DownloadOptions& options) {
  static std::once_flag curl_initialized;
  std::call_once(curl_initialized, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, CurlCleanup> curl(curl_easy_init());
  if (curl == nullptr) return absl::InternalError("cannot initialise libcurl");
  Transfer t;
  t.curl = curl.get();
  t.url = url;
  t.part_path = part_path;
  t.label = options.label;
  t.offset = FileSize(part_path);
  const std::string range = absl::StrCat(t.offset, "-");
  char detail[CURL_ERROR_SIZE] = "";
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,ftp");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https,ftp");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "enwik8_fetch/1.0");
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.timeout_s * 1000));
  t.timeout_s = options.timeout_s;
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnTick);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  // CURLOPT_RANGE rather than CURLOPT_RESUME_FROM: the latter fails outright on a 200
  // answer, where we want to start over.
  if (t.offset > 0) curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);

  const CURLcode result = curl_easy_perform(c);
  // An empty body never reached OnBody; it still decides what the part holds.
  if (result == CURLE_OK && !t.started && !StartBody(t)) return t.error;
  if (t.file != nullptr && std::fclose(std::exchange(t.file, nullptr)) != 0 && result == CURLE_OK) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot write ", part_path, ": ", std::strerror(errno)));
  }
  if (result == CURLE_OK) {
    t.progress->Finish();
    return absl::OkStatus();
  }
  if (!t.error.ok()) return t.error;
  if (t.stalled) {
    return absl::DeadlineExceededError(absl::StrFormat(
        "cannot download %s: no data for %g s (`timeout_s`)", url, options.timeout_s));
  }
  if (result == CURLE_HTTP_RETURNED_ERROR) {
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    return HttpError(url, code);
  }
  return CurlError(url, result, detail, options.timeout_s);
}

}  // namespace

bool IsTransientDownloadError(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

double RetryDelay(const DownloadOptions& options, int retry) {
  return std::min(kMaxRetryDelayS, options.retry_delay_s * std::pow(2.0, retry));
}

absl::Status DownloadFile(const std::string& url, const std::string& part_path,
                          const DownloadOptions& options) {
  bool restarted = false;
  for (int retry = 0;; ++retry) {
    absl::Status status = Attempt(url, part_path, options);
    if (status.ok()) return status;
    if (status.code() == absl::StatusCode::kOutOfRange && !restarted && FileSize(part_path) > 0) {
      // 416: the part is not a prefix of what the server has now. Start over, once.
      LOG(WARNING) << status.message() << "; discarding " << part_path << " and starting over";
      std::remove(part_path.c_str());
      restarted = true;
      --retry;
      continue;
    }
    if (!IsTransientDownloadError(status) || retry >= options.retries) {
      if (retry == 0) return status;
      return absl::Status(status.code(),
                          absl::StrCat(status.message(), " (gave up after ", retry + 1, " attempts)"));
    }
    const double delay = RetryDelay(options, retry);
    LOG(WARNING) << status.message() << "; retry " << retry + 1 << " of " << options.retries
                 << " in " << delay << " s";
    std::this_thread::sleep_for(std::chrono::duration<double>(delay));
  }
}

}  // namespace attn::net
