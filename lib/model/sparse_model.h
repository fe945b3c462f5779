// The sparse byte-level transformer, the original's "SparseByteTransformer" (docs/design.md,
// "Sparse"): pre-norm layers whose heads each attend along one fixed sparse pattern,
// with the original's state_dict names.
#ifndef ATTN_LIB_MODEL_SPARSE_MODEL_H_
#define ATTN_LIB_MODEL_SPARSE_MODEL_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/model/attention_patterns.h"
#include "lib/model/head_patterns.h"
#include "lib/model/language_model.h"
#include "lib/model/model_kind.h"
#include "lib/model/sparse_attention.h"

namespace attn::model {

struct SparseConfig {
  // The training tools set the sizes (the original's: d 512, 8 heads, 12 layers, ff 2048).
  int64_t d_model = 512;
  int64_t heads = 8;
  int64_t layers = 6;
  int64_t ff = 2048;
  int64_t max_len = 1024;    // rows of the positional table pe [1, max_len, d]
  double dropout = 0.05;     // residual, feed-forward and attention-probability dropout
  double token_dropout = 0.02;  // training: a position's embedding is zeroed with this probability
  // Standard deviation of the token embedding's initialisation. The original's is PyTorch's
  // N(0, 1); times sqrt(d_model) and tied to the output, that starts near 2000 bits per byte,
  // so smaller values (0.02, as the dense model's) learn in far fewer steps. An explicit
  // choice, recorded in the checkpoint when it is not the original's.
  double embedding_std = 1.0;
  // Head patterns: the default assignment for `heads` with the --mask_subset ablation, or,
  // when head_patterns is set ("0,3,3,1,1,1,2,2"), exactly that (mask_subset is then a record
  // only), the same in every layer; or, when `patterns` is set (layers x heads, e.g. from
  // ReadPatternFile), those, and then mask_subset and head_patterns must be empty. Checkpoints
  // store the resolved patterns as "patterns" (and head_patterns as digits where they have one).
  std::string mask_subset;
  std::string head_patterns;
  HeadPatterns patterns;
  // How attention is computed; a runtime choice, not stored in checkpoints.
  SparseAttentionImpl attention = SparseAttentionImpl::kKernel;

  // Sizes in range (d_model <= 65536, layers <= 1024, ...), heads dividing an even d_model,
  // probabilities in [0, 1), and a head assignment the patterns support.
  absl::Status Validate() const;
  // The patterns of every layer and head this config resolves to.
  absl::StatusOr<HeadPatterns> ResolvedPatterns() const;
  // As strings, for checkpoint metadata (head_patterns holds the resolved assignment), and back
  // (checked: see config_metadata.h).
  Metadata ToMetadata() const;
  static absl::StatusOr<SparseConfig> FromMetadata(const Metadata& metadata);
};

// A model initialised as the original: PyTorch defaults throughout (embedding N(0, 1), or
// N(0, embedding_std^2) by scaling the same draws; nn.Linear's uniform, LayerNorm ones/zeros).
// Draws from torch's global generator.
absl::StatusOr<std::shared_ptr<LanguageModel>> MakeSparseModel(const SparseConfig& config);

// The "sparse" kind, for the checkpoint registry.
ModelKind SparseModelKind();

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_SPARSE_MODEL_H_
