// Training batches from a byte token stream (docs/design.md, "Training"): the stream is laid out
// as `batch` parallel streams, each cut into consecutive windows of seq_len inputs whose
// targets are the same window shifted by one byte.
#ifndef ATTN_LIB_DATA_BATCHES_H_
#define ATTN_LIB_DATA_BATCHES_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "torch/torch.h"

namespace attn::data {

struct Batch {
  torch::Tensor inputs;   // [batch, seq_len] int64
  torch::Tensor targets;  // [batch, seq_len] int64, inputs shifted left by one
};

class BatchStream {
 public:
  // Reads a .u8 token file. Fails (naming the file) when it is missing or holds too few
  // tokens for one batch.
  static absl::StatusOr<BatchStream> FromFile(const std::string& path, int64_t batch,
                                              int64_t seq_len);
  // `name` is what error messages call the tokens (a path, "test tokens").
  static absl::StatusOr<BatchStream> FromTokens(const std::string& tokens, int64_t batch,
                                                int64_t seq_len, const std::string& name);

  // Batches in one pass: stream s holds tokens [s*S, (s+1)*S) with S = tokens / batch (the
  // remainder is dropped), and window w covers stream positions [w*seq_len, w*seq_len+seq_len].
  int64_t NumBatches() const { return num_batches_; }
  // Window `index` of every stream, 0 <= index < NumBatches().
  Batch Get(int64_t index) const;

  // Streams [first, first + count) alone, with the same windows: the share of one rank
  // of a data-parallel job. Requires 0 <= first < first + count <= batch().
  BatchStream Streams(int64_t first, int64_t count) const;

  int64_t batch() const { return batch_; }
  int64_t seq_len() const { return seq_len_; }
  int64_t TokensPerBatch() const { return batch_ * seq_len_; }

 private:
  BatchStream(torch::Tensor streams, int64_t seq_len);

  torch::Tensor streams_;  // [batch, S] uint8
  int64_t batch_;
  int64_t seq_len_;
  int64_t num_batches_;
};

}  // namespace attn::data

#endif  // ATTN_LIB_DATA_BATCHES_H_
