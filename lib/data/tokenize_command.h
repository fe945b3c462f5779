// The tokenize tool's work: split a byte corpus into token files, print its statistics,
// or stream tokens between formats (tools/tokenize_main.cc is the flags around this).
#ifndef ATTN_LIB_DATA_TOKENIZE_COMMAND_H_
#define ATTN_LIB_DATA_TOKENIZE_COMMAND_H_

#include <cstdio>
#include <string>

#include "absl/status/status.h"

namespace attn::data {

struct TokenizeOptions {
  std::string input = "-";  // "-" is stdin
  // Split mode: writes <prefix>.train.<format>, .valid, [.test]. Empty: stream mode
  // (input to stdout) unless `stats` is set.
  std::string output_prefix;
  std::string splits;         // --splits; "" is the default 90/5/5
  std::string format = "u8";  // u8 | ids
  bool decode = false;        // stream mode only: tokens in `format` -> raw bytes
  bool stats = false;         // print per-split statistics to `stats_out`
  FILE* stats_out = stdout;
};

// Runs one tokenize invocation. Option combinations that make no sense and bad `splits`
// are InvalidArgument; everything is checked before any output file is created, and the
// split files are all written to temporaries before any is renamed into place.
absl::Status RunTokenize(const TokenizeOptions& options);

}  // namespace attn::data

#endif  // ATTN_LIB_DATA_TOKENIZE_COMMAND_H_
