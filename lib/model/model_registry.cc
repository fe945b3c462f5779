#include "lib/model/model_registry.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/model/dense_model.h"
#include "lib/model/sparse_model.h"

namespace attn::model {

const std::vector<ModelKind>& ModelKinds() {
  static const auto* kinds = new std::vector<ModelKind>{
      DenseModelKind(),
      SparseModelKind(),
  };
  return *kinds;
}

absl::StatusOr<const ModelKind*> FindModelKind(const std::string& name) {
  std::vector<std::string> known;
  for (const ModelKind& kind : ModelKinds()) {
    if (kind.name == name) return &kind;
    known.push_back(kind.name);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown model kind \"", name, "\" (known: ", absl::StrJoin(known, ", "), ")"));
}

absl::StatusOr<ModelSpec> ParseModelSpec(const Metadata& metadata) {
  auto it = metadata.find("kind");
  if (it == metadata.end()) return absl::InvalidArgumentError("metadata lacks \"kind\"");
  absl::StatusOr<const ModelKind*> kind = FindModelKind(it->second);
  if (!kind.ok()) return kind.status();
  return (*kind)->parse(metadata);
}

}  // namespace attn::model
