// The outputs of one analysis run, written so that a failed run leaves none of them. They
// are opened (as temporary files beside their paths) before the work starts, so an
// unwritable one fails early; at the end every text is written and synced first, and only
// then are they renamed into place, the main output first, side outputs after it.
#ifndef ATTN_LIB_ANALYSIS_OUTPUTS_H_
#define ATTN_LIB_ANALYSIS_OUTPUTS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/io/atomic_file.h"

namespace attn::analysis {

struct OutputSpec {
  std::string option;  // the option that named it ("output", "centroids"), for messages
  std::string path;    // "-" is stdout; empty: this output is not wanted
};

class Outputs {
 public:
  // Opens every wanted output, the main one first. Two with the same path, or both on
  // stdout, are InvalidArgument.
  static absl::StatusOr<Outputs> Open(const std::vector<OutputSpec>& specs);

  bool wanted(size_t i) const { return files_[i].has_value(); }

  // Writes texts[i] to output i (unwanted ones are skipped) and renames them all into
  // place. Should a rename fail after an earlier one succeeded, the files already renamed
  // are removed again. What fails leaves no file behind.
  absl::Status Commit(const std::vector<std::string>& texts);

 private:
  std::vector<OutputSpec> specs_;
  std::vector<std::optional<io::AtomicFile>> files_;
};

}  // namespace attn::analysis

#endif  // ATTN_LIB_ANALYSIS_OUTPUTS_H_
