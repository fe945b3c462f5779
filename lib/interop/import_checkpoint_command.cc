#include "lib/interop/import_checkpoint_command.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "lib/interop/original_checkpoint.h"
#include "lib/io/atomic_file.h"
#include "lib/model/checkpoint.h"
#include "lib/runtime/option_names.h"

namespace attn::interop {

absl::Status RunImportCheckpoint(const ImportCheckpointOptions& options) {
  if (options.input.empty()) return absl::InvalidArgumentError(runtime::Opt("input") + " is required (the .pt file)");
  if (options.output.empty()) return absl::InvalidArgumentError(runtime::Opt("output") + " is required (the .safetensors to write)");
  absl::StatusOr<std::string> bytes = io::ReadFile(options.input);
  if (!bytes.ok()) return bytes.status();
  OriginalModelOptions model_options;
  model_options.kind = options.kind;
  model_options.heads = options.heads;
  model_options.seq_len = options.seq_len;
  absl::StatusOr<ImportedCheckpoint> imported = ImportOriginalCheckpoint(*bytes, options.input, model_options);
  if (!imported.ok()) return imported.status();
  imported->metadata["imported_from"] = options.input.substr(options.input.rfind('/') + 1);
  if (absl::Status s = model::SaveCheckpoint(options.output, *imported->model, imported->metadata); !s.ok()) return s;
  for (const std::string& note : imported->notes) std::fprintf(stderr, "import_checkpoint: %s\n", note.c_str());
  const model::LanguageModel& m = *imported->model;
  std::fprintf(stderr, "import_checkpoint: %s model, %lld layers, %lld heads, seq_len %s, from %s to %s\n",
               m.Kind().c_str(), static_cast<long long>(m.NumLayers()), static_cast<long long>(m.NumHeads()),
               imported->metadata.at("seq_len").c_str(), options.input.c_str(), options.output.c_str());
  return absl::OkStatus();
}

}  // namespace attn::interop
