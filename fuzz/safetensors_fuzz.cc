// libFuzzer target: lib/io/safetensors' ParseSafetensors over hostile bytes. Every file it
// accepts must serialize and parse back to the same tensors and metadata; errors are one line.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz/check.h"
#include "lib/io/safetensors.h"

namespace {

using attn::fuzz::Check;
using attn::fuzz::CheckOneLineError;

bool SameTensors(const attn::io::Safetensors& a, const attn::io::Safetensors& b) {
  if (a.metadata != b.metadata || a.tensors.size() != b.tensors.size()) return false;
  for (auto ia = a.tensors.begin(), ib = b.tensors.begin(); ia != a.tensors.end(); ++ia, ++ib) {
    if (ia->first != ib->first || ia->second.dtype != ib->second.dtype ||
        ia->second.shape != ib->second.shape || ia->second.data != ib->second.data) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<attn::io::Safetensors> parsed = attn::io::ParseSafetensors(bytes, "fuzz.safetensors");
  CheckOneLineError(parsed.status());
  if (!parsed.ok()) return 0;
  absl::StatusOr<std::string> image = attn::io::SerializeSafetensors(*parsed);
  Check(image.ok());
  absl::StatusOr<attn::io::Safetensors> back = attn::io::ParseSafetensors(*image, "round trip");
  Check(back.ok() && SameTensors(*parsed, *back));
  return 0;
}
