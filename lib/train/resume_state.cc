#include "lib/train/resume_state.h"

#include <filesystem>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/io/atomic_file.h"
#include "lib/runtime/option_names.h"
#include "lib/train/weights.h"

namespace attn::train {
namespace {

constexpr char kFormat[] = "attn training resume state";

c10::IValue StringDict(const std::map<std::string, std::string>& map) {
  c10::Dict<std::string, std::string> dict;
  for (const auto& [key, value] : map) dict.insert(key, value);
  return c10::IValue(dict);
}

std::map<std::string, std::string> FromStringDict(const c10::IValue& value) {
  std::map<std::string, std::string> map;
  for (const auto& entry : value.toGenericDict()) {
    map[entry.key().toStringRef()] = entry.value().toStringRef();
  }
  return map;
}

c10::IValue TensorList(const std::vector<torch::Tensor>& tensors) {
  c10::List<at::Tensor> list;
  for (const auto& t : tensors) list.push_back(t.detach().to(torch::kCPU));
  return c10::IValue(list);
}

c10::IValue StringList(const std::vector<std::string>& strings) {
  c10::List<std::string> list;
  for (const auto& s : strings) list.push_back(s);
  return c10::IValue(list);
}

std::vector<std::string> FromStringList(const c10::IValue& value) {
  std::vector<std::string> strings;
  const c10::List<c10::IValue> list = value.toList();
  for (size_t i = 0; i < list.size(); ++i) strings.push_back(list.get(i).toStringRef());
  return strings;
}

// The fields of RunPosition, by name.
std::vector<std::pair<const char*, int64_t*>> IntFields(RunPosition& p) {
  return {{"position.step", &p.step},
          {"position.epoch", &p.epoch},
          {"position.next_batch", &p.next_batch},
          {"position.best_step", &p.best_step},
          {"position.evals_since_best", &p.evals_since_best},
          {"position.tokens", &p.tokens}};
}
std::vector<std::pair<const char*, double*>> RealFields(RunPosition& p) {
  return {{"position.best_valid_loss", &p.best_valid_loss}, {"position.elapsed_s", &p.elapsed_s}};
}
std::vector<std::pair<const char*, bool*>> BoolFields(RunPosition& p) {
  return {{"position.finished", &p.finished}, {"position.early_stopped", &p.early_stopped}};
}

// Reads a field every version-2 state has.
c10::IValue Field(torch::serialize::InputArchive& archive, const char* key) {
  c10::IValue value;
  if (!archive.try_read(key, value)) {
    throw std::runtime_error(absl::StrCat("the field ", key, " is missing"));
  }
  return value;
}

// The first check that fails, as one line, or "".
std::string IdentityMismatch(const std::string& path, const RunIdentity& saved, const RunIdentity& now) {
  using runtime::Opt;
  if (saved.model_kind != now.model_kind) {
    return absl::StrCat(path, ": is the resume state of a ", saved.model_kind,
                        " model's run, and this run trains a ", now.model_kind,
                        " model; resume it with the ", saved.model_kind,
                        " model's training tool, or start afresh with ", Opt("overwrite"));
  }
  if (saved.device.type() != now.device.type()) {
    return absl::StrCat(path, ": was written by a run on ", c10::DeviceTypeName(saved.device.type(), true),
                        " and this run computes on ", c10::DeviceTypeName(now.device.type(), true),
                        "; its random streams continue exactly only with ", Opt("device"), "=",
                        c10::DeviceTypeName(saved.device.type(), true), ", or start afresh with ", Opt("overwrite"));
  }
  if (saved.world_size != now.world_size) {
    return absl::StrCat(path, ": was written by a job of ", saved.world_size,
                        " rank(s) and this job has ", now.world_size,
                        "; it continues exactly only with WORLD_SIZE=", saved.world_size,
                        " (the data split and random streams depend on it), or start afresh with ",
                        Opt("overwrite"));
  }
  std::string differences = DescribeDifferences(saved.model_config, now.model_config);
  const std::string recipe = DescribeDifferences(saved.recipe, now.recipe);
  if (!recipe.empty()) differences += (differences.empty() ? "" : "; ") + recipe;
  if (!differences.empty()) {
    return absl::StrCat(path, ": was written by a run with other settings (", differences,
                        "); resume with the same flags, or start afresh with ", Opt("overwrite"));
  }
  return "";
}

}  // namespace

RandomStates ThisProcessRandomStates(const torch::Device& device) {
  RandomStates states;
  states.cpu.push_back(at::detail::getDefaultCPUGenerator().get_state());
  if (device.is_cuda()) states.cuda.push_back(at::globalContext().defaultGenerator(device).get_state());
  return states;
}

std::string DescribeDifferences(const std::map<std::string, std::string>& saved,
                                const std::map<std::string, std::string>& now) {
  std::set<std::string> keys;
  for (const auto& [key, value] : saved) keys.insert(key);
  for (const auto& [key, value] : now) keys.insert(key);
  std::vector<std::string> lines;
  for (const std::string& key : keys) {
    auto a = saved.find(key), b = now.find(key);
    const std::string was = a == saved.end() ? "not set" : a->second;
    const std::string is = b == now.end() ? "not set" : b->second;
    if (was != is) {
      lines.push_back(absl::StrCat(runtime::Opt(key), " is ", was, " in the saved run, ", is, " now"));
    }
  }
  return absl::StrJoin(lines, "; ");
}

absl::Status SaveResumeState(const std::string& path, const RunIdentity& identity,
                             const RunPosition& position, model::LanguageModel& model,
                             torch::optim::AdamW& optimizer,
                             const std::vector<torch::Tensor>& best_weights,
                             const RandomStates& random_states) {
  std::ostringstream bytes;
  try {
    torch::serialize::OutputArchive archive;
    archive.write("format", c10::IValue(std::string(kFormat)));
    archive.write("version", c10::IValue(kResumeStateVersion));
    archive.write("model_kind", c10::IValue(identity.model_kind));
    archive.write("model_config", StringDict(identity.model_config));
    archive.write("recipe", StringDict(identity.recipe));
    archive.write("world_size", c10::IValue(static_cast<int64_t>(identity.world_size)));
    archive.write("weight_names", StringList(WeightNames(model)));
    archive.write("weights", TensorList(CopyWeights(model)));
    archive.write("best_weights", TensorList(best_weights));
    torch::serialize::OutputArchive optimizer_archive;
    optimizer.save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
    archive.write("random_states", TensorList(random_states.cpu));
    if (!identity.device.is_cpu()) {
      archive.write("device", c10::IValue(c10::DeviceTypeName(identity.device.type(), true)));
      archive.write("cuda_random_states", TensorList(random_states.cuda));
    }
    RunPosition p = position;
    for (const auto& [key, field] : IntFields(p)) archive.write(key, c10::IValue(*field));
    for (const auto& [key, field] : RealFields(p)) archive.write(key, c10::IValue(*field));
    for (const auto& [key, field] : BoolFields(p)) archive.write(key, c10::IValue(*field));
    archive.save_to(bytes);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    return absl::InternalError(absl::StrCat(path, ": cannot serialise the resume state: ",
                                            what.substr(0, what.find('\n'))));
  }
  return io::WriteFileAtomically(path, bytes.str());
}

absl::Status LoadResumeState(const std::string& path, const RunIdentity& identity, int rank,
                             model::LanguageModel& model, torch::optim::AdamW& optimizer,
                             std::vector<torch::Tensor>* best_weights, RunPosition* position) {
  using runtime::Opt;
  if (!std::filesystem::exists(path)) {
    return absl::NotFoundError(absl::StrCat(
        path, ": no resume state to continue from; run without ", Opt("resume"), " to start afresh"));
  }
  const std::string afresh = absl::StrCat("; start afresh with ", Opt("overwrite"));
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    c10::IValue value;
    if (!archive.try_read("format", value) || !value.isString() || value.toStringRef() != kFormat) {
      if (archive.try_read("position", value)) {
        return absl::DataLossError(absl::StrCat(
            path, ": is a resume state of an older version of the training tools (version 1, "
            "without named fields), which this version cannot continue", afresh));
      }
      return absl::DataLossError(absl::StrCat(path, ": is not a resume state", afresh));
    }
    const int64_t version = Field(archive, "version").toInt();
    if (version != kResumeStateVersion) {
      return absl::DataLossError(absl::StrCat(path, ": is a resume state of version ", version,
                                              ", and this version of the tools reads version ",
                                              kResumeStateVersion, afresh));
    }
    RunIdentity saved;
    saved.model_kind = Field(archive, "model_kind").toStringRef();
    saved.model_config = FromStringDict(Field(archive, "model_config"));
    saved.recipe = FromStringDict(Field(archive, "recipe"));
    saved.world_size = static_cast<int>(Field(archive, "world_size").toInt());
    if (archive.try_read("device", value)) saved.device = torch::Device(value.toStringRef());
    if (std::string mismatch = IdentityMismatch(path, saved, identity); !mismatch.empty()) {
      return absl::FailedPreconditionError(mismatch);
    }
    if (FromStringList(Field(archive, "weight_names")) != WeightNames(model)) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, ": holds the weights of another model; resume with the same model flags", afresh));
    }
    RestoreWeights(model, Field(archive, "weights").toTensorVector());
    *best_weights = Field(archive, "best_weights").toTensorVector();
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    optimizer.load(optimizer_archive);
    const std::vector<torch::Tensor> states = Field(archive, "random_states").toTensorVector();
    at::Generator generator = at::detail::getDefaultCPUGenerator();  // a handle, shared
    generator.set_state(states.at(rank));
    if (identity.device.is_cuda()) {
      at::Generator cuda = at::globalContext().defaultGenerator(identity.device);  // a handle, shared
      cuda.set_state(Field(archive, "cuda_random_states").toTensorVector().at(rank));
    }
    RunPosition p;
    for (const auto& [key, field] : IntFields(p)) *field = Field(archive, key).toInt();
    for (const auto& [key, field] : RealFields(p)) *field = Field(archive, key).toDouble();
    for (const auto& [key, field] : BoolFields(p)) *field = Field(archive, key).toBool();
    *position = p;
  } catch (const std::exception& e) {
    const std::string what = e.what();
    return absl::DataLossError(absl::StrCat(path, ": corrupt or truncated resume state (",
                                            what.substr(0, what.find('\n')), ")", afresh));
  }
  return absl::OkStatus();
}

}  // namespace attn::train
