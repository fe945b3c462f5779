// A byte corpus held in memory: a file mapped read-only (enwik8 is 100 MB; mapping it
// costs no copy), or stdin and pipes read whole.
#ifndef ATTN_LIB_DATA_BYTE_CORPUS_H_
#define ATTN_LIB_DATA_BYTE_CORPUS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace attn::data {

class ByteCorpus {
 public:
  // Opens `path` ("-" reads stdin). An empty input is an error (FailedPrecondition):
  // there is nothing to split or to train on. Errors name the path.
  static absl::StatusOr<ByteCorpus> Open(const std::string& path);

  ByteCorpus(ByteCorpus&& other) noexcept;
  ByteCorpus& operator=(ByteCorpus&& other) noexcept;
  ByteCorpus(const ByteCorpus&) = delete;
  ByteCorpus& operator=(const ByteCorpus&) = delete;
  ~ByteCorpus();

  std::string_view bytes() const {
    return mapped_ != nullptr ? std::string_view(mapped_, mapped_size_) : std::string_view(owned_);
  }
  int64_t size() const { return static_cast<int64_t>(bytes().size()); }
  const std::string& path() const { return path_; }

 private:
  ByteCorpus() = default;
  void Unmap();

  std::string path_;
  const char* mapped_ = nullptr;
  size_t mapped_size_ = 0;
  std::string owned_;  // stdin and non-regular files
};

}  // namespace attn::data

#endif  // ATTN_LIB_DATA_BYTE_CORPUS_H_
