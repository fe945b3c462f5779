#include "lib/interop/original_config.h"

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/model/dense_model.h"
#include "lib/model/sparse_model.h"
#include "lib/runtime/option_names.h"

namespace attn::interop {
namespace {

// The original's training length (docs/design.md, "training"); its dense config does not
// record it.
constexpr int64_t kOriginalSeqLen = 1024;

// Where each model keeps the tensors whose shapes give its configuration.
struct Layout {
  const char* kind;
  const char* embedding;  // [256, d_model]
  const char* table;      // the positional table: [max_len, d] (dense) or [1, max_len, d] (sparse)
  int64_t table_dims;
  const char* layers;     // prefix of layer i's keys: PREFIX i . NAME
  const char* ff_weight;  // in a layer: the first feed-forward weight, [ff_rows_per_ff * ff, d]
  int64_t ff_rows_per_ff;
};

constexpr Layout kLayouts[] = {
    {"dense", "embedding.weight", "pos_encoder.pe", 2, "transformer_blocks.", "feed_forward.0.weight", 2},
    {"sparse", "token_embedding.weight", "pos_encoder.pe", 3, "transformer_encoder.", "linear1.weight", 1},
};

struct Shapes {
  int64_t d_model = 0, layers = 0, ff = 0, max_len = 0;
};

absl::Status Mismatch(const std::string& what) { return absl::FailedPreconditionError(what); }

absl::StatusOr<const Layout*> FindLayout(const TensorsByName& state, const std::string& kind) {
  std::vector<const Layout*> found;
  for (const Layout& layout : kLayouts) {
    if (state.count(layout.embedding)) found.push_back(&layout);
  }
  if (found.empty()) {
    return Mismatch(
        "the state_dict has neither embedding.weight (the dense model) nor token_embedding.weight (the sparse "
        "model): not a state_dict of the original's models");
  }
  if (found.size() > 1) {
    return Mismatch("the state_dict has both embedding.weight and token_embedding.weight: not one of the original's "
                    "models");
  }
  if (!kind.empty() && kind != found[0]->kind) {
    return Mismatch(absl::StrCat("kind ", kind, " was asked for, but the state_dict is the ", found[0]->kind,
                                 " model's (", found[0]->embedding, ")"));
  }
  return found[0];
}

absl::StatusOr<Shapes> ReadShapes(const TensorsByName& state, const Layout& layout) {
  Shapes s;
  const at::Tensor& embedding = state.at(layout.embedding);
  if (embedding.dim() != 2 || embedding.size(0) != model::kVocabSize) {
    return Mismatch(absl::StrCat(layout.embedding, " has shape ", c10::str(embedding.sizes()), "; the models embed ",
                                 model::kVocabSize, " bytes: [256, d_model]"));
  }
  s.d_model = embedding.size(1);
  auto table = state.find(layout.table);
  if (table == state.end()) return Mismatch(absl::StrCat("the state_dict lacks ", layout.table));
  if (table->second.dim() != layout.table_dims || table->second.size(-1) != s.d_model) {
    return Mismatch(absl::StrCat(layout.table, " has shape ", c10::str(table->second.sizes()),
                                 ", not a positional table of width d_model = ", s.d_model));
  }
  s.max_len = table->second.size(-2);
  // Layers 0..n-1, each with its tensors; a gap is a missing layer.
  std::set<int64_t> layers;
  const std::string prefix = layout.layers;
  for (const auto& [name, tensor] : state) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const size_t dot = name.find('.', prefix.size());
    int64_t index = 0;
    if (dot == std::string::npos || !absl::SimpleAtoi(name.substr(prefix.size(), dot - prefix.size()), &index) ||
        index < 0) {
      return Mismatch(absl::StrCat("unexpected tensor ", name));
    }
    layers.insert(index);
  }
  s.layers = layers.empty() ? 0 : *layers.rbegin() + 1;
  if (static_cast<int64_t>(layers.size()) != s.layers) {
    for (int64_t i = 0;; ++i) {
      if (!layers.count(i)) return Mismatch(absl::StrCat("the state_dict lacks every tensor of ", prefix, i, "*"));
    }
  }
  if (s.layers == 0) return Mismatch(absl::StrCat("the state_dict has no layers (", prefix, "0.*)"));
  const std::string ff_name = absl::StrCat(prefix, "0.", layout.ff_weight);
  auto ff = state.find(ff_name);
  if (ff == state.end()) return Mismatch(absl::StrCat("the state_dict lacks ", ff_name));
  if (ff->second.dim() != 2 || ff->second.size(0) % layout.ff_rows_per_ff != 0) {
    return Mismatch(absl::StrCat(ff_name, " has shape ", c10::str(ff->second.sizes())));
  }
  s.ff = ff->second.size(0) / layout.ff_rows_per_ff;
  return s;
}

// A config entry, when present; a value of the wrong type is an error naming it.
absl::StatusOr<std::optional<int64_t>> ConfigInt(const ConfigByName& config, const std::string& key) {
  auto it = config.find(key);
  if (it == config.end() || it->second.isNone()) return std::nullopt;
  if (!it->second.isInt()) return Mismatch(absl::StrCat("config ", key, " is not an integer"));
  return it->second.toInt();
}

absl::StatusOr<double> ConfigReal(const ConfigByName& config, const std::string& key, double otherwise) {
  auto it = config.find(key);
  if (it == config.end() || it->second.isNone()) return otherwise;
  if (it->second.isInt()) return static_cast<double>(it->second.toInt());
  if (!it->second.isDouble()) return Mismatch(absl::StrCat("config ", key, " is not a number"));
  return it->second.toDouble();
}

// The config, where it names a size, must agree with the tensors.
absl::Status CrossCheck(const ConfigByName& config, const std::string& key, int64_t inferred,
                        const std::string& evidence) {
  absl::StatusOr<std::optional<int64_t>> v = ConfigInt(config, key);
  if (!v.ok()) return v.status();
  if (v->has_value() && **v != inferred) {
    return Mismatch(absl::StrCat("config ", key, " = ", **v, " but ", evidence, " gives ", inferred));
  }
  return absl::OkStatus();
}

absl::Status CheckSizes(const ConfigByName& config, const Layout& layout, const Shapes& s) {
  const std::string layer0 = absl::StrCat(layout.layers, "0.", layout.ff_weight);
  for (const auto& [key, inferred, evidence] :
       {std::tuple<const char*, int64_t, std::string>{"vocab_size", model::kVocabSize, layout.embedding},
        {"d_model", s.d_model, layout.embedding},
        {"num_layers", s.layers, absl::StrCat(layout.layers, "*")},
        {"dim_feedforward", s.ff, layer0}}) {
    if (absl::Status st = CrossCheck(config, key, inferred, evidence); !st.ok()) return st;
  }
  return absl::OkStatus();
}

// Every layer of both models holds at least d_model^2 attention weights and d_model * ff
// feed-forward weights. A state with fewer elements in all lacks tensors; saying so before
// building the model keeps a small file from making it allocate a large one.
absl::Status CheckWeightCount(const TensorsByName& state, const Shapes& s) {
  int64_t held = 0;
  for (const auto& [name, tensor] : state) held += tensor.numel();
  const double needed = static_cast<double>(s.layers) * s.d_model * static_cast<double>(s.d_model + s.ff);
  if (needed > static_cast<double>(held)) {
    return Mismatch(absl::StrCat("the state_dict holds ", held, " weights, fewer than ", s.layers, " layers of width ",
                                 s.d_model, " need: tensors are missing"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Heads(const ConfigByName& config, const OriginalModelOptions& options,
                              std::vector<std::string>* notes) {
  absl::StatusOr<std::optional<int64_t>> saved = ConfigInt(config, "nhead");
  if (!saved.ok()) return saved.status();
  if (options.heads > 0) {
    if (saved->has_value() && **saved != options.heads) {
      return Mismatch(absl::StrCat("heads ", options.heads, " was asked for, but config nhead = ", **saved));
    }
    return options.heads;
  }
  if (!saved->has_value()) {
    return Mismatch("no shape records the number of attention heads and there is no config nhead; give heads");
  }
  notes->push_back(absl::StrCat("heads ", **saved, " from config nhead"));
  return **saved;
}

// mask_subset as the sparse original's config may hold it: a string of pattern digits, a
// list of them, or None.
absl::StatusOr<std::string> MaskSubset(const ConfigByName& config) {
  auto it = config.find("mask_subset");
  if (it == config.end() || it->second.isNone()) return std::string();
  if (it->second.isString()) return it->second.toStringRef();
  if (it->second.isList()) {
    std::string digits;
    for (const c10::IValue& p : it->second.toListRef()) {
      if (!p.isInt() || p.toInt() < 0 || p.toInt() > 9) return Mismatch("config mask_subset holds a non-digit");
      absl::StrAppend(&digits, p.toInt());
    }
    return digits;
  }
  return Mismatch("config mask_subset is neither a string nor a list of pattern numbers");
}

// A DenseConfig or SparseConfig of the sizes the tensors give, with the config's
// probabilities (named as the original's config names them) over the defaults.
template <typename Config>
absl::StatusOr<Config> SizedConfig(const ConfigByName& config, const Shapes& s, int64_t heads,
                                   std::initializer_list<std::pair<const char*, double Config::*>> probabilities) {
  Config c;
  c.d_model = s.d_model;
  c.heads = heads;
  c.layers = s.layers;
  c.ff = s.ff;
  c.max_len = s.max_len;
  for (const auto& [key, field] : probabilities) {
    absl::StatusOr<double> v = ConfigReal(config, key, c.*field);
    if (!v.ok()) return v.status();
    c.*field = *v;
  }
  return c;
}

absl::StatusOr<std::shared_ptr<model::LanguageModel>> MakeDense(const ConfigByName& config, const Shapes& s,
                                                                int64_t heads) {
  using model::DenseConfig;
  absl::StatusOr<DenseConfig> c = SizedConfig<DenseConfig>(config, s, heads,
                                                           {{"dropout", &DenseConfig::dropout},
                                                            {"attention_dropout", &DenseConfig::attention_dropout},
                                                            {"activation_dropout", &DenseConfig::activation_dropout},
                                                            {"token_dropout", &DenseConfig::token_dropout},
                                                            {"stochastic_depth_prob", &DenseConfig::stochastic_depth}});
  if (!c.ok()) return c.status();
  return model::MakeDenseModel(*c);
}

absl::StatusOr<std::shared_ptr<model::LanguageModel>> MakeSparse(const ConfigByName& config, const Shapes& s,
                                                                 int64_t heads) {
  using model::SparseConfig;
  if (absl::Status st = CrossCheck(config, "seq_length", s.max_len, "pos_encoder.pe"); !st.ok()) return st;
  absl::StatusOr<SparseConfig> c = SizedConfig<SparseConfig>(
      config, s, heads, {{"dropout", &SparseConfig::dropout}, {"token_dropout", &SparseConfig::token_dropout}});
  if (!c.ok()) return c.status();
  absl::StatusOr<std::string> subset = MaskSubset(config);
  if (!subset.ok()) return subset.status();
  c->mask_subset = *subset;
  return model::MakeSparseModel(*c);
}

}  // namespace

absl::StatusOr<OriginalModel> MakeOriginalModel(const TensorsByName& state, const ConfigByName& config,
                                                const OriginalModelOptions& options) {
  if (!options.kind.empty() && options.kind != "dense" && options.kind != "sparse") {
    return absl::InvalidArgumentError(absl::StrCat(runtime::Opt("kind"), "=", options.kind, " is not known; use dense or sparse"));
  }
  if (options.heads < 0) return absl::InvalidArgumentError(runtime::Opt("heads") + " must be positive");
  if (options.seq_len < 0) return absl::InvalidArgumentError(runtime::Opt("seq_len") + " must be positive");
  absl::StatusOr<const Layout*> layout = FindLayout(state, options.kind);
  if (!layout.ok()) return layout.status();
  absl::StatusOr<Shapes> shapes = ReadShapes(state, **layout);
  if (!shapes.ok()) return shapes.status();
  if (absl::Status s = CheckSizes(config, **layout, *shapes); !s.ok()) return s;
  if (absl::Status s = CheckWeightCount(state, *shapes); !s.ok()) return s;
  OriginalModel out;
  absl::StatusOr<int64_t> heads = Heads(config, options, &out.notes);
  if (!heads.ok()) return heads.status();
  const bool dense = std::string((*layout)->kind) == "dense";
  absl::StatusOr<std::shared_ptr<model::LanguageModel>> m =
      dense ? MakeDense(config, *shapes, *heads) : MakeSparse(config, *shapes, *heads);
  if (!m.ok()) {
    if (m.status().code() != absl::StatusCode::kInvalidArgument) return m.status();
    return Mismatch(absl::StrCat("the ", (*layout)->kind, " configuration the state_dict gives is not valid: ",
                                 m.status().message()));
  }
  out.model = *std::move(m);
  if (options.seq_len > 0) {
    if (options.seq_len > shapes->max_len) {
      return Mismatch(absl::StrCat("seq_len ", options.seq_len, " is longer than the positional table (",
                                   shapes->max_len, " positions)"));
    }
    out.seq_len = options.seq_len;
  } else if (dense) {
    out.seq_len = std::min(kOriginalSeqLen, shapes->max_len);
    out.notes.push_back(absl::StrCat("seq_len ", out.seq_len, ": the original's training length, ", kOriginalSeqLen,
                                     out.seq_len < kOriginalSeqLen ? ", capped at the positional table" : "",
                                     " (the dense config does not record it; give seq_len if it was another)"));
  } else {
    out.seq_len = shapes->max_len;
  }
  return out;
}

}  // namespace attn::interop
