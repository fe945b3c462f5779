#include "lib/model/checkpoint.h"

#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/io/safetensors.h"
#include "lib/model/dense_model.h"
#include "lib/model/sparse_model.h"

namespace attn::model {
namespace {

// Output weights tied to the embedding: {alias, source} per model kind.
std::pair<std::string, std::string> TiedWeight(const std::string& kind) {
  if (kind == "dense") return {"output.weight", "embedding.weight"};
  return {"output_projection.weight", "token_embedding.weight"};
}

std::string Preview(const std::vector<std::string>& names) {
  const size_t shown = std::min<size_t>(names.size(), 5);
  std::string s = absl::StrJoin(names.begin(), names.begin() + shown, ", ");
  if (names.size() > shown) absl::StrAppend(&s, " and ", names.size() - shown, " more");
  return s;
}

absl::StatusOr<std::shared_ptr<LanguageModel>> BuildModel(const std::map<std::string, std::string>& metadata) {
  const std::string& kind = metadata.at("kind");
  if (kind == "dense") {
    absl::StatusOr<DenseConfig> config = DenseConfig::FromMetadata(metadata);
    if (!config.ok()) return config.status();
    return MakeDenseModel(*config);
  }
  if (kind == "sparse") {
    absl::StatusOr<SparseConfig> config = SparseConfig::FromMetadata(metadata);
    if (!config.ok()) return config.status();
    return MakeSparseModel(*config);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown model kind \"", kind, "\""));
}

// Copies the file's tensors into `model`, checking that names, shapes and dtypes match
// exactly before touching any weight, so a failure never leaves a half-loaded model.
absl::Status CopyWeights(const io::Safetensors& file, LanguageModel& model, const std::string& path) {
  auto fail = [&path](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
  };
  const std::vector<std::pair<std::string, torch::Tensor>> state = StateDict(model);
  std::set<std::string> expected;
  std::vector<std::string> missing, wrong;
  for (const auto& [name, tensor] : state) {
    expected.insert(name);
    auto it = file.tensors.find(name);
    if (it == file.tensors.end()) {
      missing.push_back(name);
      continue;
    }
    const io::SafetensorsTensor& t = it->second;
    if (t.dtype != "F32") {
      wrong.push_back(absl::StrCat(name, " is ", t.dtype, ", expected F32"));
    } else if (t.shape != tensor.sizes().vec()) {
      wrong.push_back(absl::StrCat(name, " has shape [", absl::StrJoin(t.shape, ","), "], the model needs [",
                                   absl::StrJoin(tensor.sizes(), ","), "]"));
    }
  }
  std::vector<std::string> extra;
  for (const auto& [name, t] : file.tensors) {
    if (!expected.count(name)) extra.push_back(name);
  }
  const std::string hint = " (a checkpoint of another model or configuration?)";
  if (!missing.empty()) return fail(absl::StrCat("checkpoint lacks tensors ", Preview(missing), hint));
  if (!extra.empty()) return fail(absl::StrCat("checkpoint has unexpected tensors ", Preview(extra), hint));
  if (!wrong.empty()) return fail(absl::StrCat("tensor mismatch: ", Preview(wrong), hint));
  const auto [alias, source] = TiedWeight(model.Kind());
  if (file.tensors.at(alias).data != file.tensors.at(source).data) {
    return fail(absl::StrCat(alias, " differs from ", source, ", to which it is tied; the file is corrupt"));
  }
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : state) {
    const std::string& data = file.tensors.at(name).data;
    torch::Tensor cpu = torch::empty(tensor.sizes(), torch::kFloat);
    std::memcpy(cpu.data_ptr<float>(), data.data(), data.size());
    tensor.copy_(cpu);
  }
  return absl::OkStatus();
}

absl::StatusOr<io::Safetensors> ReadCheckpointFile(const std::string& path) {
  absl::StatusOr<io::Safetensors> file = io::ReadSafetensors(path);
  if (!file.ok()) return file.status();
  if (!file->metadata.count("kind")) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no \"kind\" in the metadata; not a checkpoint written by this toolkit"));
  }
  return file;
}

}  // namespace

std::vector<std::pair<std::string, torch::Tensor>> StateDict(LanguageModel& model) {
  std::vector<std::pair<std::string, torch::Tensor>> state;
  for (const auto& p : model.named_parameters()) state.emplace_back(p.key(), p.value());
  for (const auto& b : model.named_buffers()) state.emplace_back(b.key(), b.value());
  const auto [alias, source] = TiedWeight(model.Kind());
  state.emplace_back(alias, model.named_parameters()[source]);
  return state;
}

absl::Status SaveCheckpoint(const std::string& path, LanguageModel& model,
                            const std::map<std::string, std::string>& extra_metadata) {
  io::Safetensors file;
  file.metadata = model.ConfigMetadata();
  file.metadata["kind"] = model.Kind();
  for (const auto& [key, value] : extra_metadata) {
    if (file.metadata.count(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": metadata key \"", key, "\" is reserved for the model config; rename it"));
    }
    file.metadata[key] = value;
  }
  for (const auto& [name, tensor] : StateDict(model)) {
    const torch::Tensor cpu = tensor.detach().to(torch::kCPU, torch::kFloat).contiguous();
    io::SafetensorsTensor& t = file.tensors[name];
    t.dtype = "F32";
    t.shape = cpu.sizes().vec();
    t.data.assign(static_cast<const char*>(cpu.data_ptr()), cpu.numel() * sizeof(float));
  }
  return io::WriteSafetensors(path, file);
}

absl::StatusOr<LoadedCheckpoint> LoadCheckpoint(const std::string& path, const std::string& expected_kind) {
  absl::StatusOr<io::Safetensors> file = ReadCheckpointFile(path);
  if (!file.ok()) return file.status();
  const std::string& kind = file->metadata.at("kind");
  if (!expected_kind.empty() && kind != expected_kind) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": this is a ", kind, " checkpoint, but a ", expected_kind,
                                                   " model is needed; pass a ", expected_kind, " checkpoint"));
  }
  absl::StatusOr<std::shared_ptr<LanguageModel>> model = BuildModel(file->metadata);
  if (!model.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": bad model config in the metadata: ", model.status().message()));
  }
  if (absl::Status s = CopyWeights(*file, **model, path); !s.ok()) return s;
  return LoadedCheckpoint{*std::move(model), std::move(file->metadata)};
}

absl::StatusOr<std::map<std::string, std::string>> LoadCheckpointInto(const std::string& path, LanguageModel& model) {
  absl::StatusOr<io::Safetensors> file = ReadCheckpointFile(path);
  if (!file.ok()) return file.status();
  if (file->metadata.at("kind") != model.Kind()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": this is a ", file->metadata.at("kind"),
                                                   " checkpoint, but the model is ", model.Kind()));
  }
  for (const auto& [key, value] : model.ConfigMetadata()) {
    auto it = file->metadata.find(key);
    if (it == file->metadata.end() || it->second != value) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": config ", key, " is \"",
                                                     it == file->metadata.end() ? "" : it->second,
                                                     "\" in the checkpoint but \"", value, "\" in the model"));
    }
  }
  if (absl::Status s = CopyWeights(*file, model, path); !s.ok()) return s;
  return std::move(file->metadata);
}

}  // namespace attn::model
