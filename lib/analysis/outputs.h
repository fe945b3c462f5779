// The outputs of one analysis run, written so that a failed run leaves none of them: every
// text goes to a temporary file beside its path first, and only when all are written and
// synced are they renamed into place, the main output first, side outputs after it.
#ifndef ATTN_LIB_ANALYSIS_OUTPUTS_H_
#define ATTN_LIB_ANALYSIS_OUTPUTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace attn::analysis {

struct Output {
  std::string option;  // the option that named it ("output", "centroids"), for messages
  std::string path;    // "-" is stdout; empty: this output is not wanted
  std::string text;
};

// Writes `outputs` (the main one first). Two outputs with the same path, or both on stdout,
// are InvalidArgument. Should a rename fail after an earlier one succeeded, the files
// already renamed are removed again.
absl::Status WriteOutputs(const std::vector<Output>& outputs);

}  // namespace attn::analysis

#endif  // ATTN_LIB_ANALYSIS_OUTPUTS_H_
