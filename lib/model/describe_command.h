// The describe tool: what a checkpoint holds, without Python. Its kind and configuration,
// each head's attention pattern (names, rules, the fraction of causal pairs they compute at the
// training length), the parameter count, the training state and other metadata, and every
// tensor's name, dtype and shape. The checkpoint is loaded with every check LoadCheckpoint
// makes, so describing a file also vets it.
#ifndef ATTN_LIB_MODEL_DESCRIBE_COMMAND_H_
#define ATTN_LIB_MODEL_DESCRIBE_COMMAND_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace attn::model {

struct DescribeOptions {
  std::string checkpoint;
  std::string output = "-";  // "-": stdout
};

// The description as text, one "key: value" per line, sections indented.
absl::StatusOr<std::string> DescribeCheckpoint(const std::string& path);

// Writes DescribeCheckpoint(options.checkpoint) to options.output.
absl::Status RunDescribe(const DescribeOptions& options);

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_DESCRIBE_COMMAND_H_
