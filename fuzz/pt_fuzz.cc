// libFuzzer target: the .pt reader of lib/interop over hostile bytes. The first byte picks
// the import options (the kind: byte % 3 of "", dense, sparse; --heads: byte / 3 % 5, 0 for
// the config's), the rest is the torch.save image, read by ImportOriginalCheckpoint through ReadTorchSave.
// Neither throws, an error is one line, and a model imported holds only finite weights.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/check.h"
#include "lib/interop/original_checkpoint.h"
#include "torch/torch.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  torch::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const char* kinds[] = {"", "dense", "sparse"};
  attn::interop::OriginalModelOptions options;
  options.kind = kinds[data[0] % 3];
  options.heads = data[0] / 3 % 5;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  absl::StatusOr<attn::interop::ImportedCheckpoint> imported =
      attn::interop::ImportOriginalCheckpoint(bytes, "fuzz.pt", options);
  attn::fuzz::CheckOneLineError(imported.status());
  if (!imported.ok()) return 0;
  for (const torch::Tensor& p : imported->model->parameters()) {
    attn::fuzz::Check(p.isfinite().all().item<bool>());
  }
  return 0;
}
