// Every model kind by name: what checkpoints dispatch on. Adding a kind is one line in
// model_registry.cc (and the kind's dependency in lib/model/BUILD).
#ifndef ATTN_LIB_MODEL_MODEL_REGISTRY_H_
#define ATTN_LIB_MODEL_MODEL_REGISTRY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/model/config_metadata.h"
#include "lib/model/model_kind.h"

namespace attn::model {

const std::vector<ModelKind>& ModelKinds();

// The kind named `name`; InvalidArgument naming the known kinds otherwise.
absl::StatusOr<const ModelKind*> FindModelKind(const std::string& name);

// The model that checkpoint metadata describes ("kind" and its configuration), parsed and
// checked without allocating anything: safe on arbitrary strings (a fuzz target's entry).
absl::StatusOr<ModelSpec> ParseModelSpec(const Metadata& metadata);

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_MODEL_REGISTRY_H_
