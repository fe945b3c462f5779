// The generate tool: sampled bytes after a prompt, from a checkpoint, to stdout.
#ifndef ATTN_LIB_GENERATE_GENERATE_COMMAND_H_
#define ATTN_LIB_GENERATE_GENERATE_COMMAND_H_

#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "lib/generate/sampler.h"

namespace attn::generate {

struct GenerateOptions {
  std::string checkpoint;   // from train_dense or train_sparse
  std::string prompt;       // the text to continue
  std::string prompt_file;  // instead of prompt: a file whose bytes are the prompt ("-" is stdin)
  // temperature, top_k, top_p, max_bytes, seed, slide; the context is the checkpoint's
  // seq_len.
  SamplingOptions sampling;
  std::string device = "cpu";  // where the model runs: cpu or cuda (lib/runtime/device.h)
  FILE* out = stdout;
};

// Loads the checkpoint and writes the sampled bytes to `out` as they come, flushing
// each one when `out` is a pipe or a terminal, so a reader that goes away stops the
// tool at once (Cancelled). The context the model sees is capped at the seq_len it was
// trained on (its metadata), never more than its positional table.
absl::Status RunGenerate(const GenerateOptions& options);

}  // namespace attn::generate

#endif  // ATTN_LIB_GENERATE_GENERATE_COMMAND_H_
