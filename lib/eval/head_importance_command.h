// The head_importance tool: what each attention head of a checkpoint is worth on a token
// file (lib/eval/head_importance.h), as CSV rows joinable with head_metrics' layer,head.
#ifndef ATTN_LIB_EVAL_HEAD_IMPORTANCE_COMMAND_H_
#define ATTN_LIB_EVAL_HEAD_IMPORTANCE_COMMAND_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace attn::eval {

struct HeadImportanceOptions {
  std::string checkpoint;    // dense or sparse (its kind is read from the metadata)
  std::string tokens;        // .u8; "-" is stdin
  std::string output = "-";  // the CSV; "-" is stdout
  // 0: the window the checkpoint was trained on (its training seq_len), else 1024 within
  // its positional table when it records none.
  int64_t seq_len = 0;
  int64_t batches = 4;     // at most this many batches of windows; 0: the whole file
  int64_t batch_size = 8;  // windows per forward pass
  std::string device = "cpu";
};

// Loads the checkpoint, reads the tokens, measures every head with progress and an ETA on
// stderr, writes the CSV (kHeadImportanceHeader, layer-major, full precision) and prints a
// summary line with the unmasked bits per byte: on stdout, or on stderr when the CSV goes to
// stdout. A seq_len beyond the training one is allowed with a warning.
absl::Status RunHeadImportance(const HeadImportanceOptions& options);

// The CSV's header line, without its newline.
inline constexpr const char* kHeadImportanceHeader = "layer,head,ablation_bpc,ablation_delta_bpc,grad_importance";

}  // namespace attn::eval

#endif  // ATTN_LIB_EVAL_HEAD_IMPORTANCE_COMMAND_H_
