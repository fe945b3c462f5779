#include "lib/model/checkpoint.h"

#include <cmath>
#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/model/config_metadata.h"
#include "lib/model/model_parts.h"
#include "lib/model/model_registry.h"

namespace attn::model {
namespace {

std::string Preview(const std::vector<std::string>& names) {
  const size_t shown = std::min<size_t>(names.size(), 5);
  std::string s = absl::StrJoin(names.begin(), names.begin() + shown, ", ");
  if (names.size() > shown) absl::StrAppend(&s, " and ", names.size() - shown, " more");
  return s;
}

absl::Status InFile(const std::string& path, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

const ConfigFields<CheckpointTraining>& TrainingFields() {
  static const auto* fields = new ConfigFields<CheckpointTraining>{
      {"seq_len", &CheckpointTraining::seq_len, 1, kMaxPositions, /*optional=*/true},
      {"step", &CheckpointTraining::step, 0, kNoLimit, true},
      {"epoch", &CheckpointTraining::epoch, 0, kNoLimit, true},
      {"valid_loss", &CheckpointTraining::valid_loss, 0, kNoLimit, true},
      {"valid_bpc", &CheckpointTraining::valid_bpc, 0, kNoLimit, true},
  };
  return *fields;
}

// The file holds exactly `expected` (names, float32, shapes), and tied copies are equal.
absl::Status CheckTensors(const io::Safetensors& file, const std::vector<TensorShape>& expected,
                          const std::map<std::string, std::string>& tied, const std::string& path) {
  std::set<std::string> names;
  std::vector<std::string> missing, wrong;
  for (const TensorShape& e : expected) {
    names.insert(e.name);
    auto it = file.tensors.find(e.name);
    if (it == file.tensors.end()) {
      missing.push_back(e.name);
    } else if (it->second.dtype != "F32") {
      wrong.push_back(absl::StrCat(e.name, " is ", it->second.dtype, ", expected F32"));
    } else if (it->second.shape != e.shape) {
      wrong.push_back(absl::StrCat(e.name, " has shape [", absl::StrJoin(it->second.shape, ","),
                                   "], the model needs [", absl::StrJoin(e.shape, ","), "]"));
    }
  }
  std::vector<std::string> extra;
  for (const auto& [name, t] : file.tensors) {
    if (!names.count(name)) extra.push_back(name);
  }
  const std::string hint = " (a checkpoint of another model or configuration?)";
  if (!missing.empty()) return InFile(path, absl::StrCat("checkpoint lacks tensors ", Preview(missing), hint));
  if (!extra.empty()) return InFile(path, absl::StrCat("checkpoint has unexpected tensors ", Preview(extra), hint));
  if (!wrong.empty()) return InFile(path, absl::StrCat("tensor mismatch: ", Preview(wrong), hint));
  for (const auto& [alias, source] : tied) {
    if (file.tensors.at(alias).data != file.tensors.at(source).data) {
      return InFile(path, absl::StrCat(alias, " differs from ", source, ", to which it is tied; the file is corrupt"));
    }
  }
  return absl::OkStatus();
}

// Every float32 weight is finite: a diverged run's weights would give NaN everywhere.
absl::Status CheckFinite(const io::Safetensors& file, const std::string& path) {
  for (const auto& [name, t] : file.tensors) {
    if (t.dtype != "F32") continue;
    int64_t bad = 0;
    for (size_t at = 0; at + sizeof(float) <= t.data.size(); at += sizeof(float)) {
      float v;
      std::memcpy(&v, t.data.data() + at, sizeof v);
      bad += !std::isfinite(v);
    }
    if (bad > 0) {
      return InFile(path, absl::StrCat("tensor ", name, " holds ", bad, " NaN or infinite values (of ",
                                       t.data.size() / sizeof(float),
                                       "); the run diverged or the file is corrupt: use another checkpoint"));
    }
  }
  return absl::OkStatus();
}

// Copies the file's tensors into `model`, checking names, shapes and dtypes against the
// model first, so a failure never leaves a half-loaded model.
absl::Status CopyWeights(const io::Safetensors& file, LanguageModel& model, const std::string& path) {
  const std::vector<std::pair<std::string, torch::Tensor>> state = StateDict(model);
  std::vector<TensorShape> expected;
  for (const auto& [name, tensor] : state) expected.push_back({name, tensor.sizes().vec()});
  if (absl::Status s = CheckTensors(file, expected, model.TiedWeights(), path); !s.ok()) return s;
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : state) {
    const std::string& data = file.tensors.at(name).data;
    torch::Tensor cpu = torch::empty(tensor.sizes(), torch::kFloat);
    std::memcpy(cpu.data_ptr<float>(), data.data(), data.size());
    tensor.copy_(cpu);
  }
  return absl::OkStatus();
}

struct CheckedFile {
  ModelSpec spec;
  CheckpointTraining training;
};

// Everything that can be checked without building the model.
absl::StatusOr<CheckedFile> CheckFile(const io::Safetensors& file, const std::string& path,
                                      const std::string& expected_kind) {
  auto kind = file.metadata.find("kind");
  if (kind == file.metadata.end()) {
    return InFile(path, "no \"kind\" in the metadata; not a checkpoint written by this toolkit");
  }
  if (!expected_kind.empty() && kind->second != expected_kind) {
    return InFile(path, absl::StrCat("this is a ", kind->second, " checkpoint, but a ", expected_kind,
                                     " model is needed; pass a ", expected_kind, " checkpoint"));
  }
  absl::StatusOr<ModelSpec> spec = ParseModelSpec(file.metadata);
  if (!spec.ok()) return InFile(path, absl::StrCat("bad model config in the metadata: ", spec.status().message()));
  absl::StatusOr<CheckpointTraining> training = FieldsFromMetadata(TrainingFields(), file.metadata);
  if (!training.ok()) return InFile(path, absl::StrCat("bad training state in the metadata: ", training.status().message()));
  if (training->seq_len > spec->max_len) {
    return InFile(path, absl::StrCat("bad training state in the metadata: seq_len = ", training->seq_len,
                                     " exceeds the model's max_len = ", spec->max_len));
  }
  if (absl::Status s = CheckTensors(file, spec->tensors, spec->tied, path); !s.ok()) return s;
  if (absl::Status s = CheckFinite(file, path); !s.ok()) return s;
  return CheckedFile{*std::move(spec), *training};
}

}  // namespace

std::vector<std::pair<std::string, torch::Tensor>> StateDict(LanguageModel& model) {
  std::vector<std::pair<std::string, torch::Tensor>> state;
  for (const auto& p : model.named_parameters()) state.emplace_back(p.key(), p.value());
  for (const auto& b : model.named_buffers()) state.emplace_back(b.key(), b.value());
  const auto parameters = model.named_parameters();
  for (const auto& [alias, source] : model.TiedWeights()) state.emplace_back(alias, parameters[source]);
  return state;
}

absl::Status SaveCheckpoint(const std::string& path, LanguageModel& model,
                            const std::map<std::string, std::string>& extra_metadata) {
  absl::StatusOr<const ModelKind*> kind = FindModelKind(model.Kind());
  if (!kind.ok()) return InFile(path, std::string(kind.status().message()));
  io::Safetensors file;
  file.metadata = model.ConfigMetadata();
  file.metadata["kind"] = model.Kind();
  const std::set<std::string> reserved((*kind)->config_keys.begin(), (*kind)->config_keys.end());
  for (const auto& [key, value] : extra_metadata) {
    if (key == "kind" || reserved.count(key)) {
      return InFile(path, absl::StrCat("metadata key \"", key, "\" is reserved for the model config; rename it"));
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

absl::StatusOr<LoadedCheckpoint> LoadCheckpointFrom(const io::Safetensors& file, const std::string& source,
                                                    const std::string& expected_kind) {
  absl::StatusOr<CheckedFile> checked = CheckFile(file, source, expected_kind);
  if (!checked.ok()) return checked.status();
  // Building the model draws its (soon overwritten) initial weights from torch's generator;
  // put the generator back, so that loading does not shift a seeded run's random stream.
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  const torch::Tensor rng = generator.get_state();
  absl::StatusOr<std::shared_ptr<LanguageModel>> model;
  {
    WeightsToBeLoaded skip_slow_draws;
    model = checked->spec.build();
  }
  generator.set_state(rng);
  if (!model.ok()) return InFile(source, absl::StrCat("bad model config in the metadata: ", model.status().message()));
  if (absl::Status s = CopyWeights(file, **model, source); !s.ok()) return s;
  return LoadedCheckpoint{*std::move(model), file.metadata, checked->training, std::move(checked->spec)};
}

absl::StatusOr<LoadedCheckpoint> LoadCheckpoint(const std::string& path, const std::string& expected_kind) {
  absl::StatusOr<io::Safetensors> file = io::ReadSafetensors(path);
  if (!file.ok()) return file.status();
  return LoadCheckpointFrom(*file, path, expected_kind);
}

absl::Status CheckCheckpointImage(std::string_view bytes, const std::string& source) {
  absl::StatusOr<io::Safetensors> file = io::ParseSafetensors(bytes, source);
  if (!file.ok()) return file.status();
  return CheckFile(*file, source, "").status();
}

absl::StatusOr<std::map<std::string, std::string>> LoadCheckpointInto(const std::string& path, LanguageModel& model) {
  absl::StatusOr<io::Safetensors> file = io::ReadSafetensors(path);
  if (!file.ok()) return file.status();
  auto kind = file->metadata.find("kind");
  if (kind != file->metadata.end() && kind->second != model.Kind()) {
    return InFile(path, absl::StrCat("this is a ", kind->second, " checkpoint, but the model is ", model.Kind()));
  }
  absl::StatusOr<CheckedFile> checked = CheckFile(*file, path, model.Kind());
  if (!checked.ok()) return checked.status();
  // Compare configurations in their current form, so a checkpoint written before a field was
  // added (and resolving to the same model) still loads.
  const Metadata mine = model.ConfigMetadata();
  const Metadata& theirs = checked->spec.config;
  std::set<std::string> keys;
  for (const auto& [key, value] : mine) keys.insert(key);
  for (const auto& [key, value] : theirs) keys.insert(key);
  for (const std::string& key : keys) {
    auto a = theirs.find(key), b = mine.find(key);
    const std::string in_file = a == theirs.end() ? "" : a->second, in_model = b == mine.end() ? "" : b->second;
    if (a == theirs.end() || b == mine.end() || in_file != in_model) {
      return InFile(path, absl::StrCat("config ", key, " is \"", in_file, "\" in the checkpoint but \"", in_model,
                                       "\" in the model"));
    }
  }
  if (absl::Status s = CopyWeights(*file, model, path); !s.ok()) return s;
  return std::move(file->metadata);
}

}  // namespace attn::model
