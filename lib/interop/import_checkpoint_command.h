// The import_checkpoint tool: a PyTorch checkpoint of the original's models (.pt) in, our
// checkpoint (.safetensors) out.
#ifndef ATTN_LIB_INTEROP_IMPORT_CHECKPOINT_COMMAND_H_
#define ATTN_LIB_INTEROP_IMPORT_CHECKPOINT_COMMAND_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace attn::interop {

struct ImportCheckpointOptions {
  std::string input;    // the torch.save file; "-" is stdin
  std::string output;   // the checkpoint to write; "-" is stdout
  std::string kind;     // "dense" or "sparse"; "" infers it from the key names
  int64_t heads = 0;    // attention heads; 0 takes the saved config's nhead
  int64_t seq_len = 0;  // training window to record; 0 as OriginalModel::seq_len says
};

// Imports (original_checkpoint.h) and writes the checkpoint atomically, with the metadata
// the import keeps plus "imported_from" (the input's file name). Prints what it assumed or
// converted, and a summary, on stderr. Missing or bad options are InvalidArgument.
absl::Status RunImportCheckpoint(const ImportCheckpointOptions& options);

}  // namespace attn::interop

#endif  // ATTN_LIB_INTEROP_IMPORT_CHECKPOINT_COMMAND_H_
