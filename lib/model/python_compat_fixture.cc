// Test helper for python_compat_test: writes small dense (plain and with attention patterns)
// and sparse checkpoints made by the C++ code, an input batch, and the C++ logits and per-head attention for that batch, so
// that testdata/compat_check.py can compare them with the Python original.
// `verify` loads the checkpoints compat_check.py then writes from Python-made models with
// LoadCheckpoint and checks the C++ logits against Python's.
// Usage: python_compat_fixture write DIR | python_compat_fixture verify DIR
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "lib/io/safetensors.h"
#include "lib/model/checkpoint.h"
#include "lib/model/dense_model.h"
#include "lib/model/head_patterns.h"
#include "lib/model/sparse_model.h"

namespace attn::model {
namespace {

io::SafetensorsTensor ToSafetensors(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().contiguous();
  io::SafetensorsTensor out;
  out.dtype = c.scalar_type() == torch::kLong ? "I64" : "F32";
  out.shape = c.sizes().vec();
  out.data.assign(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size());
  return out;
}

// Writes NAME.safetensors (the checkpoint) and NAME_io.safetensors (tokens, logits,
// attention.<layer>). Parameters get noise first so that ones and zeros (gammas, alpha,
// biases) cannot hide a misplaced parameter.
bool Emit(const std::string& dir, const std::string& name, const std::shared_ptr<LanguageModel>& model,
          int64_t seq_len) {
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.add_(torch::randn_like(p) * 0.05);
  }
  model->eval();
  const std::string path = dir + "/" + name + ".safetensors";
  if (absl::Status s = SaveCheckpoint(path, *model, {{"written_by", "python_compat_fixture"}}); !s.ok()) {
    std::cerr << s << "\n";
    return false;
  }
  torch::NoGradGuard no_grad;
  const torch::Tensor tokens = torch::randint(0, 256, {2, seq_len}, torch::kLong);
  std::vector<torch::Tensor> attention;
  const torch::Tensor logits = model->ForwardWithAttention(tokens, &attention);
  io::Safetensors io;
  io.tensors["tokens"] = ToSafetensors(tokens);
  io.tensors["logits"] = ToSafetensors(logits);
  for (size_t i = 0; i < attention.size(); ++i) {
    io.tensors["attention." + std::to_string(i)] = ToSafetensors(attention[i]);
  }
  if (absl::Status s = io::WriteSafetensors(dir + "/" + name + "_io.safetensors", io); !s.ok()) {
    std::cerr << s << "\n";
    return false;
  }
  return true;
}

torch::Tensor FromSafetensors(const io::SafetensorsTensor& t) {
  const auto dtype = t.dtype == "I64" ? torch::kLong : torch::kFloat;
  torch::Tensor out = torch::empty(t.shape, dtype);
  std::memcpy(out.data_ptr(), t.data.data(), t.data.size());
  return out;
}

// Loads python_NAME.safetensors strictly and compares logits with python_NAME_io.safetensors.
bool Verify(const std::string& dir, const std::string& name, const std::string& kind) {
  const std::string path = dir + "/python_" + name + ".safetensors";
  absl::StatusOr<LoadedCheckpoint> loaded = LoadCheckpoint(path, kind);
  absl::StatusOr<io::Safetensors> io = io::ReadSafetensors(dir + "/python_" + name + "_io.safetensors");
  if (!loaded.ok() || !io.ok()) {
    std::cerr << "FAIL: " << (loaded.ok() ? io.status() : loaded.status()) << "\n";
    return false;
  }
  loaded->model->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor logits = loaded->model->Forward(FromSafetensors(io->tensors.at("tokens")));
  const double diff = (logits - FromSafetensors(io->tensors.at("logits"))).abs().max().item<double>();
  std::cout << "python " << name << " checkpoint in C++: max |c++ - python| logits = " << diff << "\n";
  if (!(diff <= 1e-4)) {
    std::cerr << "FAIL: python " << name << " logits differ by " << diff << "\n";
    return false;
  }
  return true;
}

int Main(int argc, char** argv) {
  const std::string mode = argc == 3 ? argv[1] : "";
  if (mode != "write" && mode != "verify") {
    std::cerr << "usage: python_compat_fixture write|verify DIR\n";
    return 2;
  }
  const std::string dir = argv[2];
  if (mode == "verify") {
    const bool ok =
        Verify(dir, "dense", "dense") && Verify(dir, "dense_patterns", "dense") && Verify(dir, "sparse8", "sparse") &&
        Verify(dir, "sparse6", "sparse");
    return ok ? 0 : 1;
  }
  torch::manual_seed(7);
  DenseConfig dense;
  dense.d_model = 16;
  dense.heads = 4;
  dense.layers = 2;
  dense.ff = 12;
  DenseConfig dense_patterns = dense;
  dense_patterns.layers = 3;
  absl::StatusOr<HeadPatterns> patterns = HeadPatterns::Make(
      {{"near", {2, 0, {}}}, {"cols", {std::nullopt, 5, {0.45}}}, {"mixed", {0, 3, {0.3, 1}}}},
      {{"near", "dense", "global", "strided"}, {"cols", "mixed", "local8", "near"}, {"dense", "dense", "near", "cols"}});
  if (!patterns.ok()) {
    std::cerr << patterns.status() << "\n";
    return 1;
  }
  dense_patterns.patterns = *patterns;
  SparseConfig sparse8;
  sparse8.d_model = 32;
  sparse8.heads = 8;
  sparse8.layers = 2;
  sparse8.ff = 24;
  sparse8.max_len = 48;
  SparseConfig sparse6 = sparse8;
  sparse6.d_model = 24;
  sparse6.heads = 6;
  sparse6.mask_subset = "21";
  auto d = MakeDenseModel(dense);
  auto dp = MakeDenseModel(dense_patterns);
  auto s8 = MakeSparseModel(sparse8);
  auto s6 = MakeSparseModel(sparse6);
  if (!d.ok() || !dp.ok() || !s8.ok() || !s6.ok()) {
    std::cerr << "bad fixture config\n";
    return 1;
  }
  const bool ok = Emit(dir, "dense", *d, 24) && Emit(dir, "dense_patterns", *dp, 23) && Emit(dir, "sparse8", *s8, 40) &&
                  Emit(dir, "sparse6", *s6, 37);
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace attn::model

int main(int argc, char** argv) { return attn::model::Main(argc, argv); }
