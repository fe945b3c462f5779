// Test helper for import_compat_test: imports a .pt file written by
// testdata/make_torch_checkpoints.py, saves and reloads it as our checkpoint, and checks
// the reloaded model's eval-mode logits (1e-4) and per-head attention (1e-5) against the
// Python module's; or checks that a file that is no checkpoint is refused with a message.
// Usage: import_check compare FILE.pt REF.npy HEADS OUT.safetensors
//        import_check refuse FILE.pt MESSAGE
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "lib/interop/original_checkpoint.h"
#include "lib/io/atomic_file.h"
#include "lib/io/npy.h"
#include "lib/model/checkpoint.h"

namespace attn::interop {
namespace {

constexpr double kLogitTolerance = 1e-4;
constexpr double kAttentionTolerance = 1e-5;

absl::StatusOr<std::vector<torch::Tensor>> ReadReference(const std::string& path) {
  absl::StatusOr<FILE*> file = io::OpenForReading(path);
  if (!file.ok()) return file.status();
  io::NpyStreamReader reader(*file, path);
  std::vector<torch::Tensor> out;
  io::NpyRecord record;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(&record);
    if (!more.ok() || !*more) {
      std::fclose(*file);
      if (!more.ok()) return more.status();
      return out;
    }
    out.push_back(torch::from_blob(record.data.data(), record.shape, torch::kFloat).clone());
  }
}

bool Close(const std::string& what, const torch::Tensor& got, const torch::Tensor& want, double tolerance) {
  if (got.sizes() != want.sizes()) {
    std::cerr << "FAIL: " << what << " has shape " << got.sizes() << ", Python's " << want.sizes() << "\n";
    return false;
  }
  const double diff = (got - want).abs().max().item<double>();
  std::cout << what << ": max |python - c++| = " << diff << "\n";
  if (!(diff <= tolerance)) std::cerr << "FAIL: " << what << " differs by " << diff << " (tolerance " << tolerance << ")\n";
  return diff <= tolerance;
}

int Compare(const std::string& pt, const std::string& reference, int64_t heads, const std::string& out) {
  absl::StatusOr<std::string> bytes = io::ReadFile(pt);
  if (!bytes.ok()) return std::cerr << bytes.status() << "\n", 1;
  OriginalModelOptions options;
  options.heads = heads;
  absl::StatusOr<ImportedCheckpoint> imported = ImportOriginalCheckpoint(*bytes, pt, options);
  if (!imported.ok()) return std::cerr << "FAIL: " << imported.status() << "\n", 1;
  for (const std::string& note : imported->notes) std::cout << pt << ": " << note << "\n";
  if (absl::Status s = model::SaveCheckpoint(out, *imported->model, imported->metadata); !s.ok()) {
    return std::cerr << "FAIL: " << s << "\n", 1;
  }
  absl::StatusOr<model::LoadedCheckpoint> loaded = model::LoadCheckpoint(out);
  if (!loaded.ok()) return std::cerr << "FAIL: " << loaded.status() << "\n", 1;
  absl::StatusOr<std::vector<torch::Tensor>> ref = ReadReference(reference);
  if (!ref.ok()) return std::cerr << ref.status() << "\n", 1;
  model::LanguageModel& m = *loaded->model;
  if (ref->size() != static_cast<size_t>(2 + m.NumLayers())) {
    return std::cerr << "FAIL: " << reference << " has " << ref->size() << " records\n", 1;
  }
  m.eval();
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> attention;
  const torch::Tensor logits = m.ForwardWithAttention((*ref)[0].to(torch::kLong), &attention);
  bool ok = Close(pt + " logits", logits, (*ref)[1], kLogitTolerance);
  for (size_t i = 0; i < attention.size(); ++i) {
    ok = Close(pt + " attention layer " + std::to_string(i), attention[i], (*ref)[2 + i], kAttentionTolerance) && ok;
  }
  return ok ? 0 : 1;
}

int Refuse(const std::string& pt, const std::string& message) {
  absl::StatusOr<std::string> bytes = io::ReadFile(pt);
  if (!bytes.ok()) return std::cerr << bytes.status() << "\n", 1;
  absl::StatusOr<ImportedCheckpoint> imported = ImportOriginalCheckpoint(*bytes, pt, {});
  if (imported.ok()) return std::cerr << "FAIL: " << pt << " was imported\n", 1;
  const std::string got(imported.status().message());
  std::cout << got << "\n";
  if (got.rfind(pt + ": ", 0) != 0 || got.find(message) == std::string::npos || got.find('\n') != std::string::npos) {
    return std::cerr << "FAIL: the error for " << pt << " is not one line naming it and saying \"" << message
                     << "\"\n", 1;
  }
  return 0;
}

}  // namespace
}  // namespace attn::interop

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 5 && args[0] == "compare") {
    return attn::interop::Compare(args[1], args[2], std::stoll(args[3]), args[4]);
  }
  if (args.size() == 3 && args[0] == "refuse") return attn::interop::Refuse(args[1], args[2]);
  std::cerr << "usage: import_check compare FILE.pt REF.npy HEADS OUT.safetensors | refuse FILE.pt MESSAGE\n";
  return 2;
}
