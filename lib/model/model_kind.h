// A model kind ("dense", "sparse", ...) as checkpoints see it: from the metadata of a file,
// the parsed and checked configuration, every tensor the model's state dict holds, and a
// way to build the model, so that a file can be checked against its configuration before
// anything is allocated. Each kind defines its ModelKind in its own files (MakeModelKind
// below) and is listed once in lib/model/model_registry.cc.
#ifndef ATTN_LIB_MODEL_MODEL_KIND_H_
#define ATTN_LIB_MODEL_MODEL_KIND_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/model/config_metadata.h"
#include "lib/model/head_patterns.h"
#include "lib/model/language_model.h"

namespace attn::model {

struct TensorShape {
  std::string name;
  std::vector<int64_t> shape;
  bool operator==(const TensorShape& o) const { return name == o.name && shape == o.shape; }
};

// A model described by its configuration, checked; nothing allocated yet.
struct ModelSpec {
  std::string kind;
  Metadata config;                          // what the model's ConfigMetadata() will be
  std::vector<TensorShape> tensors;         // its whole state dict, tied aliases included
  std::map<std::string, std::string> tied;  // alias -> source (both in `tensors`)
  int64_t layers = 0, heads = 0;
  int64_t max_len = 0;                      // longest sequence its positional table supports
  HeadPatterns patterns;                    // per layer and head; empty: full causal attention, dense path
  std::function<absl::StatusOr<std::shared_ptr<LanguageModel>>()> build;
};

struct ModelKind {
  std::string name;
  std::vector<std::string> config_keys;  // every metadata key its configuration may use
  std::function<absl::StatusOr<ModelSpec>(const Metadata&)> parse;
};

// The kind of a configuration type that has members `layers`, `heads`, `max_len`,
// `static StatusOr<Config> FromMetadata(const Metadata&)`, `Status Validate() const`,
// `Metadata ToMetadata() const` and `StatusOr<HeadPatterns> ResolvedPatterns() const`; `tensors` lists the state dict of a model
// of a valid configuration and `make` builds one.
template <typename Config>
ModelKind MakeModelKind(std::string name, std::vector<std::string> config_keys,
                        std::map<std::string, std::string> tied,
                        std::vector<TensorShape> (*tensors)(const Config&),
                        absl::StatusOr<std::shared_ptr<LanguageModel>> (*make)(const Config&)) {
  auto parse = [name, tied, tensors, make](const Metadata& metadata) -> absl::StatusOr<ModelSpec> {
    absl::StatusOr<Config> config = Config::FromMetadata(metadata);
    if (!config.ok()) return config.status();
    if (absl::Status s = config->Validate(); !s.ok()) return s;
    absl::StatusOr<HeadPatterns> patterns = config->ResolvedPatterns();
    if (!patterns.ok()) return patterns.status();
    const Config c = *std::move(config);
    return ModelSpec{name, c.ToMetadata(), tensors(c), tied, c.layers, c.heads, c.max_len, *std::move(patterns),
                     [c, make] { return make(c); }};
  };
  return ModelKind{std::move(name), std::move(config_keys), std::move(parse)};
}

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_MODEL_KIND_H_
