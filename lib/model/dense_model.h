// The dense byte-level transformer, the original's "EnhancedCharTransformer"
// (docs/design.md, "Dense"), with the same state_dict names so checkpoints load by name into
// the Python module.
#ifndef ATTN_LIB_MODEL_DENSE_MODEL_H_
#define ATTN_LIB_MODEL_DENSE_MODEL_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/model/head_patterns.h"
#include "lib/model/language_model.h"
#include "lib/model/model_kind.h"

namespace attn::model {

// Defaults are the original's.
struct DenseConfig {
  int64_t d_model = 512;
  int64_t heads = 8;
  int64_t layers = 12;
  int64_t ff = 2048;  // the feed-forward hidden width is 2 * ff, as in the original
  int64_t max_len = 5000;
  double dropout = 0.1;             // layer i uses min(dropout * (1 + 0.1 i), 0.5)
  double attention_dropout = 0.1;   // layer i uses min(attention_dropout * (1 + 0.05 i), 0.4)
  double activation_dropout = 0.1;
  double token_dropout = 0.05;      // training: each input byte becomes 0 with this probability
  double stochastic_depth = 0.1;    // training: block i > 0 is skipped with probability this * i / layers
  // Training: recompute each block's forward during backward instead of storing its
  // activations (the original trains this way): less memory, about one more forward pass.
  // A runtime choice, not part of the checkpoint.
  bool gradient_checkpointing = false;
  // Empty (the default): the original's full causal attention, computed densely under the
  // causal mask. Set (layers x heads, e.g. from ReadPatternFile): each head attends only along
  // its pattern, computed by the allowed-pairs kernel (SparseAttention); the parameters, their
  // initialisation and the scaling stay the same. Stored in the checkpoint as "patterns".
  HeadPatterns patterns;

  // Sizes in range (d_model <= 65536, layers <= 1024, ...), heads dividing an even d_model,
  // probabilities in [0, 1), patterns (when set) for layers x heads.
  absl::Status Validate() const;
  // As strings, for checkpoint metadata, and back (checked: see config_metadata.h).
  Metadata ToMetadata() const;
  static absl::StatusOr<DenseConfig> FromMetadata(const Metadata& metadata);
  // `patterns`: every head's attention pattern; empty for full causal attention.
  absl::StatusOr<HeadPatterns> ResolvedPatterns() const;
};

// A model initialised as the original: embedding N(0, 0.02); positional feed-forward
// N(0, 0.02) with zero bias; block feed-forward truncated N(0, 0.02) in [-0.04, 0.04] with
// zero bias; attention as torch.nn.MultiheadAttention initialises itself; the output bias
// zero; the rest with PyTorch's defaults. Draws from torch's global generator (seed it for reproducibility).
absl::StatusOr<std::shared_ptr<LanguageModel>> MakeDenseModel(const DenseConfig& config);

// The "dense" kind, for the checkpoint registry.
ModelKind DenseModelKind();

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_DENSE_MODEL_H_
