// The attention stream of DESIGN.md section 3: per sequence, every selected layer's
// per-head attention probabilities, as one .npy record [layers, heads, L, L].
#ifndef ATTN_LIB_MODEL_ATTENTION_DUMP_H_
#define ATTN_LIB_MODEL_ATTENTION_DUMP_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/io/atomic_file.h"
#include "lib/model/language_model.h"

namespace attn::model {

struct AttentionDumpOptions {
  int64_t num_seqs = 10;
  int64_t seq_len = 1024;
  int64_t offset = 0;           // first byte of the first window
  std::vector<int64_t> layers;  // empty: all, in order
  std::vector<int64_t> heads;   // empty: all, in order
};

// Parses "0,3,5" into indices below `limit`; "" gives an empty list (all).
absl::StatusOr<std::vector<int64_t>> ParseIndexList(const std::string& spec, int64_t limit,
                                                    const std::string& what);

// Checks the options against the model and a token source of `num_tokens` bytes; the
// error says what to change.
absl::Status ValidateAttentionDump(const LanguageModel& model, int64_t num_tokens,
                                   const AttentionDumpOptions& options);

// Runs `model` in evaluation mode on the first num_seqs consecutive windows of seq_len
// bytes of `tokens` (from offset) and writes one record per window to `out` as soon as it
// is computed: one sequence in memory at a time. `on_sequence` (optional) is called with
// the number of records written so far, for progress.
absl::Status DumpAttention(LanguageModel& model, std::string_view tokens,
                           const AttentionDumpOptions& options, io::AtomicFile& out,
                           const std::function<void(int64_t)>& on_sequence = nullptr);

// The dump_attention tool: loads the checkpoint (dense or sparse, from its metadata),
// reads the token file, resolves the --layers/--heads lists and writes the stream to
// `output_path` ("-" is stdout; a file appears only when complete), with progress on
// stderr. A reader that closes the pipe early ends the dump with a Cancelled status.
absl::Status RunDumpAttention(const std::string& checkpoint_path, const std::string& tokens_path,
                              const std::string& layers_spec, const std::string& heads_spec,
                              AttentionDumpOptions options, const std::string& output_path);

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_ATTENTION_DUMP_H_
