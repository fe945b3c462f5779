// The evaluate tool: a checkpoint's bits per byte on a token file, as enwik8 results are
// reported (test bpc on the last 5M bytes), with an optional sliding window.
#ifndef ATTN_LIB_EVAL_EVALUATE_COMMAND_H_
#define ATTN_LIB_EVAL_EVALUATE_COMMAND_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace attn::eval {

struct EvaluateOptions {
  std::string checkpoint;
  std::string tokens;     // "-" is stdin
  std::string output;     // the result as TSV; "" writes none, "-" writes it to stdout
  int64_t context = 0;    // 0: the checkpoint's training seq_len, else its positional table
  int64_t stride = 0;     // 0: the context (non-overlapping windows)
  std::string precision = "auto";  // lib/runtime/precision.h
  int64_t batch_size = 8;  // windows per forward pass
  int64_t max_bytes = 0;   // score only the first max_bytes bytes; 0: all
  std::string device = "cpu";
};

// Loads the checkpoint, reads the tokens and measures (bits_per_byte.h) with progress and
// an ETA on stderr, then prints the result on stdout (unless the TSV goes there): bits per
// byte, nats per byte, bytes scored, context, stride, precision and time. Bad options are
// InvalidArgument; a context beyond the positional table, or a file of fewer than 2 bytes,
// FailedPrecondition. A context beyond the training seq_len is allowed with a warning.
absl::Status RunEvaluate(const EvaluateOptions& options);

// The TSV's header line, without its newline.
inline constexpr const char* kEvaluateHeader =
    "checkpoint\ttokens\tbpc\tnats_per_byte\tbytes_scored\tcontext\tstride\tprecision\ttime_s";

}  // namespace attn::eval

#endif  // ATTN_LIB_EVAL_EVALUATE_COMMAND_H_
