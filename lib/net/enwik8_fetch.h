// Getting enwik8 (or another member of a zip) onto disk, verified: the enwik8_fetch tool.
#ifndef ATTN_LIB_NET_ENWIK8_FETCH_H_
#define ATTN_LIB_NET_ENWIK8_FETCH_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "lib/net/http_download.h"

namespace attn::net {

inline constexpr char kEnwik8Url[] = "http://mattmahoney.net/dc/enwik8.zip";
inline constexpr char kEnwik8Member[] = "enwik8";
// Published with the Hutter Prize data; enwik8 is the first 10^8 bytes of enwik9.
inline constexpr char kEnwik8Md5[] = "a1fa5ffddb56f4953e226637dabbb36a";
inline constexpr int64_t kEnwik8Size = 100000000;

// What the extracted file must be.
struct Expected {
  std::string md5;    // 32 lowercase hex digits; empty: not checked
  int64_t size = -1;  // bytes; -1: not checked
};

// The check a --md5 flag asks for: enwik8's MD5 (the default) also checks enwik8's size;
// any other MD5 checks that MD5 only (we cannot know that file's size); "skip" checks
// nothing. Anything else is InvalidArgument.
absl::StatusOr<Expected> ExpectedFromMd5Flag(const std::string& flag);

struct FetchOptions {
  std::string output = "data/enwik8";  // "-" writes to stdout
  std::string url = kEnwik8Url;
  std::string from_zip;  // when set, this local zip is read and nothing is downloaded
  std::string member = kEnwik8Member;
  Expected expected;
  DownloadOptions download;
};

struct FetchResult {
  bool already_present = false;  // a valid output was already there: nothing was done
  std::string summary;           // one line for the user saying what happened
};

// Writes `member` of the zip (downloaded from `url`, or `from_zip`) to `output`, verified.
// - An output that is already there and passes the check is left alone.
// - Missing parent directories of `output` are created; an unwritable `output` fails
//   before anything is downloaded.
// - The download goes to OUTPUT.zip.part (a temporary file for stdout). A transient
//   failure keeps it, and the next run resumes it with a Range request; any other outcome
//   deletes it, including success (the zip is not needed once extracted).
// - The output appears atomically, only after the check passed; stdout gets the bytes
//   only after a first pass over the zip checked them.
// Errors are one line naming the file or URL and what to do.
absl::StatusOr<FetchResult> FetchEnwik8(const FetchOptions& options);

}  // namespace attn::net

#endif  // ATTN_LIB_NET_ENWIK8_FETCH_H_
