#include "lib/net/enwik8_fetch.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "glog/logging.h"
#include "lib/io/atomic_file.h"
#include "lib/net/md5.h"
#include "lib/net/zip_reader.h"
#include "lib/runtime/progress.h"

namespace attn::net {
namespace {

constexpr size_t kChunk = 1 << 20;

absl::Status WithSuffix(const absl::Status& status, const std::string& suffix) {
  return absl::Status(status.code(), absl::StrCat(status.message(), suffix));
}

std::string CheckText(const Expected& expected) {
  if (expected.md5.empty()) return "not verified: `md5`=skip";
  return "verified";
}

// The existing output, if it passes the check; nullopt when it must be (re)written.
absl::StatusOr<std::optional<FetchResult>> ExistingOutput(const FetchOptions& o) {
  struct stat st;
  if (stat(o.output.c_str(), &st) != 0) return std::nullopt;
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "`output` ", o.output, " exists and is not a regular file; name a file (or - for stdout)"));
  }
  const int64_t size = st.st_size;
  if (o.expected.size >= 0 && size != o.expected.size) {
    LOG(WARNING) << o.output << " exists but is " << size << " bytes, not " << o.expected.size
                 << "; fetching it again";
    return std::nullopt;
  }
  FetchResult result;
  result.already_present = true;
  if (o.expected.md5.empty()) {
    result.summary = absl::StrCat(o.output, " is already there (", size,
                                  " bytes, not verified: `md5`=skip); nothing to do");
    return result;
  }
  absl::StatusOr<std::string> md5 = Md5OfFile(o.output);
  if (!md5.ok()) return md5.status();
  if (*md5 != o.expected.md5) {
    LOG(WARNING) << o.output << " exists but its MD5 is " << *md5 << ", not " << o.expected.md5
                 << "; fetching it again";
    return std::nullopt;
  }
  result.summary = absl::StrCat(o.output, " is already there and verified (", size,
                                " bytes, MD5 ", *md5, "); nothing to do");
  return result;
}

// Creates the missing parent directories of `output` and checks a file can be made there.
absl::Status PrepareOutput(const std::string& output) {
  for (size_t slash = output.find('/', 1); slash != std::string::npos;
       slash = output.find('/', slash + 1)) {
    const std::string dir = output.substr(0, slash);
    if (mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST) {
      return absl::FailedPreconditionError(absl::StrCat("cannot create directory ", dir,
                                                        " for `output` ", output, ": ",
                                                        std::strerror(errno)));
    }
  }
  // Opening and dropping the writer leaves nothing behind.
  absl::StatusOr<io::AtomicFile> probe = io::AtomicFile::Open(output);
  if (!probe.ok()) return WithSuffix(probe.status(), "; choose a writable `output`");
  return absl::OkStatus();
}

// Reads the whole member, hashing it and writing it to `out` unless that is null.
// Returns the MD5. The caller finishes `progress` once the result has passed its check,
// so a failure prints only its error.
absl::StatusOr<std::string> Stream(const std::string& zip_path, const std::string& member,
                                   io::AtomicFile* out, runtime::Progress& progress) {
  absl::StatusOr<ZipMemberReader> reader = ZipMemberReader::Open(zip_path, member);
  if (!reader.ok()) return reader.status();
  Md5 md5;
  std::vector<char> buf(kChunk);
  int64_t done = 0;
  while (true) {
    absl::StatusOr<size_t> n = reader->Read(buf.data(), buf.size());
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    md5.Update(buf.data(), *n);
    if (out != nullptr) {
      if (absl::Status s = out->Write(buf.data(), *n); !s.ok()) return s;
    }
    done += static_cast<int64_t>(*n);
    progress.Update(done);
  }
  return md5.HexDigest();
}

absl::Status Verify(const Expected& expected, const std::string& md5, const std::string& what) {
  if (!expected.md5.empty() && md5 != expected.md5) {
    return absl::DataLossError(absl::StrCat(
        "MD5 mismatch for ", what, ": got ", md5, ", expected ", expected.md5,
        " (a corrupt or different file); `md5`=HEX or `md5`=skip accepts another file"));
  }
  return absl::OkStatus();
}

// Extracts and checks the member into the output; the output appears only if all is well.
absl::StatusOr<FetchResult> Extract(const std::string& zip_path, const FetchOptions& o) {
  const std::string what = absl::StrCat("member '", o.member, "' of zip ", zip_path);
  int64_t size = 0;
  {
    // Refuse a wrong size before spending time on extracting it.
    absl::StatusOr<ZipMemberReader> reader = ZipMemberReader::Open(zip_path, o.member);
    if (!reader.ok()) return reader.status();
    size = reader->size();
    if (o.expected.size >= 0 && size != o.expected.size) {
      return absl::DataLossError(absl::StrCat(
          what, " is ", size, " bytes, not ", o.expected.size,
          " as enwik8 is; `md5`=HEX or `md5`=skip accepts another file"));
    }
  }
  if (o.output == "-") {
    // stdout cannot be taken back: check everything first, then write.
    runtime::Progress progress("check " + o.member, size, "B");
    absl::StatusOr<std::string> md5 = Stream(zip_path, o.member, nullptr, progress);
    if (!md5.ok()) return md5.status();
    if (absl::Status s = Verify(o.expected, *md5, what); !s.ok()) return s;
    progress.Finish();
  }
  absl::StatusOr<io::AtomicFile> out = io::AtomicFile::Open(o.output);
  if (!out.ok()) return WithSuffix(out.status(), "; choose a writable `output`");
  runtime::Progress progress("extract " + o.member, size, "B");
  absl::StatusOr<std::string> md5 = Stream(zip_path, o.member, &*out, progress);
  if (!md5.ok()) return md5.status();
  if (absl::Status s = Verify(o.expected, *md5, what); !s.ok()) return s;
  if (absl::Status s = out->Commit(); !s.ok()) return s;
  progress.Finish();
  FetchResult result;
  result.summary = absl::StrCat("wrote ", o.output == "-" ? "stdout" : o.output, " (", size,
                                " bytes, MD5 ", *md5, ", ", CheckText(o.expected), ")");
  return result;
}

int64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

// Where the download goes: beside the output, so a later run finds it and resumes; for
// stdout a fresh temporary file (no resume across runs).
absl::StatusOr<std::string> PartPath(const std::string& output) {
  if (output != "-") return output + ".zip.part";
  const char* dir = std::getenv("TMPDIR");
  std::string path = absl::StrCat(dir != nullptr && *dir ? dir : "/tmp", "/enwik8_fetch.XXXXXX");
  const int fd = mkstemp(path.data());
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create a temporary file ", path, ": ", std::strerror(errno),
                     "; set TMPDIR to a writable directory"));
  }
  close(fd);
  return path;
}

}  // namespace

absl::StatusOr<Expected> ExpectedFromMd5Flag(const std::string& flag) {
  Expected expected;
  if (flag == "skip") return expected;
  if (!IsMd5Hex(flag)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "`md5`=", flag, " is neither 32 hex digits nor 'skip'"));
  }
  expected.md5 = absl::AsciiStrToLower(flag);
  if (expected.md5 == kEnwik8Md5) expected.size = kEnwik8Size;
  return expected;
}

absl::StatusOr<FetchResult> FetchEnwik8(const FetchOptions& o) {
  if (o.output != "-") {
    absl::StatusOr<std::optional<FetchResult>> existing = ExistingOutput(o);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) return **existing;
    if (absl::Status s = PrepareOutput(o.output); !s.ok()) return s;
  }
  if (!o.from_zip.empty()) return Extract(o.from_zip, o);

  absl::StatusOr<std::string> part = PartPath(o.output);
  if (!part.ok()) return part.status();
  DownloadOptions download = o.download;
  download.label = "download";
  if (absl::Status s = DownloadFile(o.url, *part, download); !s.ok()) {
    const int64_t kept = FileSize(*part);
    if (IsTransientDownloadError(s) && o.output != "-" && kept > 0) {
      return WithSuffix(s, absl::StrFormat("; the %d bytes that arrived are kept in %s and a "
                                           "re-run resumes from there",
                                           kept, *part));
    }
    std::remove(part->c_str());
    return s;
  }
  absl::StatusOr<FetchResult> result = Extract(*part, o);
  // Once extracted the zip is not needed; if it was bad, a re-run must fetch it afresh.
  std::remove(part->c_str());
  if (!result.ok()) {
    return WithSuffix(result.status(), absl::StrCat("; the download from ", o.url,
                                                    " was deleted, a re-run fetches it again"));
  }
  return result;
}

}  // namespace attn::net
