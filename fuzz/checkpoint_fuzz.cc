// libFuzzer target: lib/model/checkpoint's CheckCheckpointImage over hostile bytes (the
// safetensors container, then the kind, configuration, training state and tensors). Errors
// are one line; a file it accepts must load (LoadCheckpointFrom builds the model from it and
// copies the weights without an error), so the checks before building are complete.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/check.h"
#include "lib/io/safetensors.h"
#include "lib/model/checkpoint.h"
#include "torch/torch.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  torch::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const absl::Status checked = attn::model::CheckCheckpointImage(bytes, "fuzz.safetensors");
  attn::fuzz::CheckOneLineError(checked);
  if (!checked.ok()) return 0;
  absl::StatusOr<attn::io::Safetensors> file = attn::io::ParseSafetensors(bytes, "fuzz.safetensors");
  attn::fuzz::Check(file.ok());
  attn::fuzz::Check(attn::model::LoadCheckpointFrom(*file, "fuzz.safetensors").ok());
  return 0;
}
