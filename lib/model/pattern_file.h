// The pattern file: JSON that names attention patterns and assigns one to each head, either
// one list for all layers or one list per layer (docs/design.md, "Pattern files"):
//   {"patterns": {"NAME": {"window": W, "stride": S, "anchors": [r, ...]}, ...},
//    "heads": ["NAME", ...] or [["NAME", ...], ...]}
// Every field is optional within a pattern ("window": -1 is unbounded; no window is no band);
// names in "heads" are the file's patterns or built-ins. Other top-level fields (e.g. the
// report of derive_patterns) are kept by the writer and ignored by the reader. Checkpoints
// store their resolved patterns in this form.
#ifndef ATTN_LIB_MODEL_PATTERN_FILE_H_
#define ATTN_LIB_MODEL_PATTERN_FILE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/model/head_patterns.h"
#include "nlohmann/json.hpp"

namespace attn::model {

// Parses `text` for a model of `layers` x `heads`. Errors are InvalidArgument, one line
// starting with `source` and naming the field ("p.json: patterns.wide.window = -2 must be ...").
absl::StatusOr<HeadPatterns> ParsePatternFile(std::string_view text, const std::string& source, int64_t layers,
                                              int64_t heads);

// Reads and parses the file at `path` (a missing file is NotFound, naming it).
absl::StatusOr<HeadPatterns> ReadPatternFile(const std::string& path, int64_t layers, int64_t heads);

// The file's text: "patterns" with every pattern in use (built-ins too, so the file is
// self-contained), "heads" as one list when every layer is the same, else one per layer, then
// the fields of `extra` (an object; "patterns" and "heads" in it are ignored). Compact when
// indent < 0, else pretty-printed with that indent.
std::string PatternFileText(const HeadPatterns& patterns, const nlohmann::json& extra = nlohmann::json::object(),
                            int indent = 2);

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_PATTERN_FILE_H_
