#include "lib/net/zip_reader.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace attn::net {
namespace {

std::string ErrorText(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

// Up to `limit` member names, for telling the user what --member could be.
std::string MemberList(zip_t* archive, int limit) {
  const zip_int64_t count = zip_get_num_entries(archive, 0);
  if (count <= 0) return "it is empty";
  std::vector<std::string> names;
  for (zip_int64_t i = 0; i < count && i < limit; ++i) {
    const char* name = zip_get_name(archive, i, 0);
    names.push_back(name != nullptr ? absl::StrCat("'", name, "'") : "?");
  }
  return absl::StrCat("it holds ", absl::StrJoin(names, ", "), count > limit ? ", ..." : "");
}

}  // namespace

ZipMemberReader::ZipMemberReader(std::string description,
                                 std::unique_ptr<zip_t, ArchiveCloser> archive,
                                 std::unique_ptr<zip_file_t, FileCloser> file, int64_t size)
    : description_(std::move(description)),
      archive_(std::move(archive)),
      file_(std::move(file)),
      size_(size) {}

absl::StatusOr<ZipMemberReader> ZipMemberReader::Open(const std::string& zip_path,
                                                      const std::string& member) {
  int code = 0;
  // ZIP_CHECKCONS also compares the central directory with the local headers.
  std::unique_ptr<zip_t, ArchiveCloser> archive(
      zip_open(zip_path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code));
  if (archive == nullptr) {
    const std::string why = ErrorText(code);
    if (code == ZIP_ER_NOENT || code == ZIP_ER_OPEN || code == ZIP_ER_READ) {
      return absl::NotFoundError(absl::StrCat("cannot open zip ", zip_path, ": ", why));
    }
    return absl::DataLossError(absl::StrCat(zip_path, " is not a valid zip archive (", why,
                                            "): it is truncated or corrupt"));
  }
  const zip_int64_t index = zip_name_locate(archive.get(), member.c_str(), 0);
  if (index < 0) {
    return absl::NotFoundError(absl::StrCat("zip ", zip_path, " has no member '", member, "' (",
                                            MemberList(archive.get(), 5), "); see `member`"));
  }
  const std::string description = absl::StrCat("member '", member, "' of zip ", zip_path);
  zip_stat_t stat;
  if (zip_stat_index(archive.get(), index, 0, &stat) != 0 || !(stat.valid & ZIP_STAT_SIZE)) {
    return absl::DataLossError(absl::StrCat("cannot read the size of ", description, ": ",
                                            zip_strerror(archive.get())));
  }
  std::unique_ptr<zip_file_t, FileCloser> file(zip_fopen_index(archive.get(), index, 0));
  if (file == nullptr) {
    const int open_code = zip_error_code_zip(zip_get_error(archive.get()));
    const std::string message =
        absl::StrCat("cannot read ", description, ": ", zip_strerror(archive.get()));
    if (open_code == ZIP_ER_COMPNOTSUPP || open_code == ZIP_ER_ENCRNOTSUPP ||
        open_code == ZIP_ER_NOPASSWD) {
      return absl::UnimplementedError(message);
    }
    return absl::DataLossError(message);
  }
  return ZipMemberReader(description, std::move(archive), std::move(file),
                         static_cast<int64_t>(stat.size));
}

absl::StatusOr<size_t> ZipMemberReader::Read(char* buffer, size_t capacity) {
  const zip_int64_t n = zip_fread(file_.get(), buffer, capacity);
  if (n < 0) {
    return absl::DataLossError(absl::StrCat(description_, " is corrupt (",
                                            zip_file_strerror(file_.get()), ")"));
  }
  return static_cast<size_t>(n);
}

}  // namespace attn::net
