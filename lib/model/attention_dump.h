// The attention stream of docs/design.md ("Formats between tools"): per sequence, every selected layer's
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

// Parses option `what` ("0,3,5") into indices below `limit`; "" gives an empty list
// (all). Text that is not a list of indices is InvalidArgument; an index the model does
// not have (>= limit) is OutOfRange.
absl::StatusOr<std::vector<int64_t>> ParseIndexList(const std::string& spec, int64_t limit,
                                                    const std::string& what);

// Checks the options against the model and a token source of `num_tokens` bytes, without
// overflow whatever the values; the error says what to change: InvalidArgument for a
// value that is wrong on its own, OutOfRange for one the model or the tokens cannot serve.
absl::Status ValidateAttentionDump(const LanguageModel& model, int64_t num_tokens,
                                   const AttentionDumpOptions& options);

// Runs `model` in evaluation mode on the first num_seqs consecutive windows of seq_len
// bytes of `tokens` (from offset) and writes one record per window to `out` as soon as it
// is computed: one sequence in memory at a time. `on_sequence` (optional) is called with
// the number of records written so far, for progress. Non-finite attention (a model
// with NaN or infinite weights) is an error, never written.
absl::Status DumpAttention(LanguageModel& model, std::string_view tokens,
                           const AttentionDumpOptions& options, io::AtomicFile& out,
                           const std::function<void(int64_t)>& on_sequence = nullptr);

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_ATTENTION_DUMP_H_
