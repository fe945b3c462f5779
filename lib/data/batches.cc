#include "lib/data/batches.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/io/atomic_file.h"

namespace attn::data {

absl::StatusOr<BatchStream> BatchStream::FromFile(const std::string& path, int64_t batch,
                                                  int64_t seq_len) {
  absl::StatusOr<std::string> tokens = io::ReadFile(path);
  if (!tokens.ok()) return tokens.status();
  return FromTokens(*tokens, batch, seq_len, path);
}

absl::StatusOr<BatchStream> BatchStream::FromTokens(const std::string& tokens, int64_t batch,
                                                    int64_t seq_len, const std::string& name) {
  if (batch < 1 || seq_len < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "batch size (", batch, ") and sequence length (", seq_len, ") must be at least 1"));
  }
  const int64_t n = static_cast<int64_t>(tokens.size());
  const int64_t stream_len = n / batch;
  // One window needs seq_len inputs plus the target after the last one.
  if (stream_len < seq_len + 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": ", n, " tokens are shorter than one batch (", batch, " streams x ",
        seq_len + 1, " = ", batch * (seq_len + 1),
        " tokens needed); use a longer file or a smaller `batch_size` or `seq_len`"));
  }
  torch::Tensor streams = torch::from_blob(const_cast<char*>(tokens.data()),
                                           {batch, stream_len}, torch::kUInt8)
                              .clone();
  return BatchStream(std::move(streams), seq_len);
}

BatchStream::BatchStream(torch::Tensor streams, int64_t seq_len)
    : streams_(std::move(streams)),
      batch_(streams_.size(0)),
      seq_len_(seq_len),
      num_batches_((streams_.size(1) - 1) / seq_len) {}

BatchStream BatchStream::Streams(int64_t first, int64_t count) const {
  TORCH_CHECK(first >= 0 && count >= 1 && first + count <= batch_, "streams [", first, ", ",
              first + count, ") out of range for ", batch_, " streams");
  return BatchStream(streams_.narrow(0, first, count), seq_len_);
}

Batch BatchStream::Get(int64_t index) const {
  TORCH_CHECK(index >= 0 && index < num_batches_, "batch index ", index, " out of range");
  const torch::Tensor window =
      streams_.narrow(1, index * seq_len_, seq_len_ + 1).to(torch::kInt64);
  return Batch{window.narrow(1, 0, seq_len_).contiguous(),
               window.narrow(1, 1, seq_len_).contiguous()};
}

}  // namespace attn::data
