#include "lib/interop/original_checkpoint.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/interop/torch_save_reader.h"
#include "lib/io/printable.h"
#include "lib/model/checkpoint.h"
#include "nlohmann/json.hpp"

namespace attn::interop {
namespace {

using Dict = c10::Dict<c10::IValue, c10::IValue>;

// `what` often quotes the file's own strings (tensor and config names): kept on one line.
absl::Status Unfit(const std::string& source, const std::string& what) {
  return absl::FailedPreconditionError(absl::StrCat(source, ": ", io::OneLine(what)));
}

// "a, b, c, d, e and 3 more".
std::string Preview(const std::vector<std::string>& names) {
  const size_t shown = std::min<size_t>(names.size(), 5);
  std::string s = absl::StrJoin(names.begin(), names.begin() + shown, ", ");
  if (names.size() > shown) absl::StrAppend(&s, " and ", names.size() - shown, " more");
  return s;
}

std::vector<std::string> Keys(const Dict& d) {
  std::vector<std::string> keys;
  for (const auto& e : d) keys.push_back(e.key().isString() ? e.key().toStringRef() : e.key().tagKind());
  return keys;
}

// A dict with string keys; `what` names it in errors.
absl::StatusOr<std::map<std::string, c10::IValue>> StringKeyed(const c10::IValue& v, const std::string& what,
                                                              const std::string& source) {
  if (!v.isGenericDict()) return Unfit(source, absl::StrCat(what, " is ", v.tagKind(), ", not a dict"));
  std::map<std::string, c10::IValue> out;
  for (const auto& e : v.toGenericDict()) {
    if (!e.key().isString()) return Unfit(source, absl::StrCat(what, " has a key that is not a string"));
    out.emplace(e.key().toStringRef(), e.value());
  }
  return out;
}

absl::StatusOr<TensorsByName> Tensors(const c10::IValue& v, const std::string& what, const std::string& source) {
  absl::StatusOr<std::map<std::string, c10::IValue>> entries = StringKeyed(v, what, source);
  if (!entries.ok()) return entries.status();
  TensorsByName out;
  for (const auto& [name, value] : *entries) {
    if (!value.isTensor()) return Unfit(source, absl::StrCat(what, " entry ", name, " is not a tensor"));
    out.emplace(name, value.toTensor());
  }
  return out;
}

// Plain values (the config, the losses) as JSON; anything else by its type's name.
nlohmann::json Json(const c10::IValue& v) {
  if (v.isNone()) return nullptr;
  if (v.isBool()) return v.toBool();
  if (v.isInt()) return v.toInt();
  if (v.isDouble()) return v.toDouble();
  if (v.isString()) return v.toStringRef();
  if (v.isList() || v.isTuple()) {
    nlohmann::json a = nlohmann::json::array();
    const auto elements = v.isList() ? v.toListRef().vec() : v.toTupleRef().elements().vec();
    for (const c10::IValue& e : elements) a.push_back(Json(e));
    return a;
  }
  if (v.isGenericDict()) {
    nlohmann::json o = nlohmann::json::object();
    for (const auto& e : v.toGenericDict()) o[e.key().isString() ? e.key().toStringRef() : e.key().tagKind()] = Json(e.value());
    return o;
  }
  return v.tagKind();
}

// Where the weights are, and what the training script saved beside them.
struct Located {
  TensorsByName state;
  ConfigByName config;
  std::map<std::string, std::string> metadata;
};

absl::StatusOr<Located> Locate(const c10::IValue& root, const std::string& source, std::vector<std::string>* notes) {
  if (!root.isGenericDict()) {
    return Unfit(source, absl::StrCat("the file holds ", root.tagKind(),
                                      ", neither the original's checkpoint dict nor a state_dict"));
  }
  const Dict top = root.toGenericDict();
  Located out;
  if (!top.contains("model_state_dict")) {
    absl::StatusOr<TensorsByName> state = Tensors(root, "the file's dict", source);
    if (!state.ok()) {
      return Unfit(source, absl::StrCat("the file's dict has no model_state_dict and is no state_dict itself (keys ",
                                        Preview(Keys(top)), ")"));
    }
    out.state = *std::move(state);
    notes->push_back("a bare state_dict: no config, losses or seed to keep");
    return out;
  }
  absl::StatusOr<TensorsByName> state = Tensors(top.at("model_state_dict"), "model_state_dict", source);
  if (!state.ok()) return state.status();
  out.state = *std::move(state);
  std::vector<std::string> ignored;
  for (const auto& e : top) {
    const std::string key = e.key().isString() ? e.key().toStringRef() : e.key().tagKind();
    if (key == "model_state_dict") continue;
    if (key == "config") {
      absl::StatusOr<ConfigByName> config = StringKeyed(e.value(), "config", source);
      if (!config.ok()) return config.status();
      out.config = *std::move(config);
      out.metadata["original_config"] = Json(e.value()).dump();
    } else if (key == "train_losses" || key == "val_losses") {
      if (!e.value().isList()) return Unfit(source, absl::StrCat(key, " is not a list"));
      out.metadata[key] = Json(e.value()).dump();
    } else if (key == "seed") {
      if (!e.value().isInt()) return Unfit(source, "seed is not an integer");
      out.metadata["seed"] = absl::StrCat(e.value().toInt());
    } else {
      ignored.push_back(key);
    }
  }
  if (!ignored.empty()) notes->push_back(absl::StrCat("ignored ", Preview(ignored)));
  return out;
}

// The file's tensors into the model, all checked before any is copied.
absl::Status CopyState(const TensorsByName& state, model::LanguageModel& m, const std::string& source,
                       std::vector<std::string>* notes) {
  const std::vector<std::pair<std::string, torch::Tensor>> expected = model::StateDict(m);
  std::vector<std::string> missing, misshapen, wrong_type, non_finite, unexpected;
  std::map<std::string, int> converted;  // by the file's dtype
  std::map<std::string, at::Tensor> floats;
  for (const auto& [name, tensor] : expected) {
    auto it = state.find(name);
    if (it == state.end()) {
      missing.push_back(name);
    } else if (it->second.sizes() != tensor.sizes()) {
      misshapen.push_back(absl::StrCat(name, " is ", c10::str(it->second.sizes()), ", the model needs ",
                                       c10::str(tensor.sizes())));
    } else if (!at::isFloatingType(it->second.scalar_type())) {
      wrong_type.push_back(absl::StrCat(name, " (", c10::toString(it->second.scalar_type()), ")"));
    } else {
      if (it->second.scalar_type() != torch::kFloat) ++converted[c10::toString(it->second.scalar_type())];
      // A float64 beyond float32's range becomes infinite here, and is refused with the rest.
      floats[name] = it->second.to(torch::kFloat);
      if (!torch::isfinite(floats[name]).all().item<bool>()) non_finite.push_back(name);
    }
  }
  std::set<std::string> names;
  for (const auto& [name, tensor] : expected) names.insert(name);
  for (const auto& [name, tensor] : state) {
    if (!names.count(name)) unexpected.push_back(name);
  }
  const std::string hint = " (a state_dict of another model?)";
  if (!missing.empty()) return Unfit(source, absl::StrCat("the state_dict lacks ", Preview(missing), hint));
  if (!unexpected.empty()) return Unfit(source, absl::StrCat("unexpected tensors ", Preview(unexpected), hint));
  if (!misshapen.empty()) return Unfit(source, absl::StrCat("tensor shapes differ: ", Preview(misshapen)));
  if (!wrong_type.empty()) return Unfit(source, absl::StrCat("tensors that are not floating point: ", Preview(wrong_type)));
  if (!non_finite.empty()) return Unfit(source, absl::StrCat("tensors with NaN or infinite values: ", Preview(non_finite)));
  // Names of one model tensor (the tied output weight) must carry one value.
  std::map<const void*, std::string> first_name;
  for (const auto& [name, tensor] : expected) {
    auto [it, added] = first_name.emplace(tensor.data_ptr(), name);
    if (!added && !torch::equal(floats.at(name), floats.at(it->second))) {
      return Unfit(source, absl::StrCat(name, " differs from ", it->second, ", to which the model ties it"));
    }
  }
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : expected) tensor.copy_(floats.at(name));
  for (const auto& [dtype, count] : converted) {
    notes->push_back(absl::StrCat("converted ", count, " ", dtype, " tensors to float32",
                                  dtype == std::string("Double") ? " (rounded to nearest)" : " (exactly)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ImportedCheckpoint> ImportOriginalCheckpoint(std::string_view bytes, const std::string& source,
                                                            const OriginalModelOptions& options) {
  absl::StatusOr<c10::IValue> root = ReadTorchSave(bytes, source);
  if (!root.ok()) return root.status();
  ImportedCheckpoint out;
  try {
    absl::StatusOr<Located> located = Locate(*root, source, &out.notes);
    if (!located.ok()) return located.status();
    absl::StatusOr<OriginalModel> original = MakeOriginalModel(located->state, located->config, options);
    if (!original.ok()) {
      return absl::Status(original.status().code(),
                          absl::StrCat(source, ": ", io::OneLine(original.status().message())));
    }
    if (absl::Status s = CopyState(located->state, *original->model, source, &out.notes); !s.ok()) return s;
    out.model = original->model;
    out.metadata = std::move(located->metadata);
    out.metadata["seq_len"] = absl::StrCat(original->seq_len);
    out.notes.insert(out.notes.end(), original->notes.begin(), original->notes.end());
  } catch (const c10::Error& e) {
    // LibTorch refusing to build or fill the model from shapes the checks accepted.
    const std::string what = e.what_without_backtrace();
    return Unfit(source, what.substr(0, what.find('\n')));
  } catch (const std::exception& e) {
    return Unfit(source, e.what());
  }
  return out;
}

}  // namespace attn::interop
