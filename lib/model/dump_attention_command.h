// The dump_attention tool: a checkpoint's per-head attention on a token file, as the
// attention stream (lib/model/attention_dump.h).
#ifndef ATTN_LIB_MODEL_DUMP_ATTENTION_COMMAND_H_
#define ATTN_LIB_MODEL_DUMP_ATTENTION_COMMAND_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace attn::model {

struct DumpAttentionOptions {
  std::string checkpoint;  // dense or sparse (its kind is read from the metadata)
  std::string tokens;      // .u8
  std::string output = "-";
  int64_t num_seqs = 10;
  // 0: the window the checkpoint was trained on (its metadata seq_len), else at most its
  // positional table (1024 when it records neither).
  int64_t seq_len = 0;
  int64_t offset = 0;
  std::string layers, heads;  // comma-separated indices to keep, in order; "" = all
  std::string device = "cpu";  // cpu or cuda (lib/runtime/device.h)
};

// Loads the checkpoint, resolves the window length (a dense model asked for longer
// windows than it was trained on gets a warning: its attention there is untrained; a
// sparse one cannot go beyond its table), reads the tokens and writes the stream to
// `output` ("-" is stdout; a file appears only when complete), with progress on stderr.
// A reader that closes the pipe early ends the dump with a Cancelled status.
absl::Status RunDumpAttention(const DumpAttentionOptions& options);

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_DUMP_ATTENTION_COMMAND_H_
