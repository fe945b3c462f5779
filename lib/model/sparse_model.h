// The sparse byte-level transformer, the original's "SparseByteTransformer" (DESIGN.md
// section 4): pre-norm layers whose heads each attend along one fixed sparse pattern,
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
#include "lib/model/sparse_attention.h"

namespace attn::model {

struct SparseConfig {
  // DESIGN.md gives no sizes for the sparse original; the training tools set them.
  int64_t d_model = 512;
  int64_t heads = 8;
  int64_t layers = 6;
  int64_t ff = 2048;
  int64_t max_len = 1024;    // rows of the positional table pe [1, max_len, d]
  double dropout = 0.05;     // residual, feed-forward and attention-probability dropout
  double token_dropout = 0.02;  // training: a position's embedding is zeroed with this probability
  // Head patterns: the default assignment for `heads` with the --mask_subset ablation, or,
  // when head_patterns is set ("0,3,3,1,1,1,2,2"), exactly that (mask_subset is then a record only).
  std::string mask_subset;
  std::string head_patterns;
  // How attention is computed; a runtime choice, not stored in checkpoints.
  SparseAttentionImpl attention = SparseAttentionImpl::kKernel;

  // Positive sizes, heads dividing an even d_model, probabilities in [0, 1), and a head
  // assignment the patterns support.
  absl::Status Validate() const;
  // The head patterns this config resolves to, one per head (Validate first).
  absl::StatusOr<std::vector<AttentionPattern>> Patterns() const;
  // Their names (built-ins), one per head.
  absl::StatusOr<std::vector<std::string>> PatternNames() const;
  // As strings, for checkpoint metadata (head_patterns holds the resolved assignment), and back.
  std::map<std::string, std::string> ToMetadata() const;
  static absl::StatusOr<SparseConfig> FromMetadata(const std::map<std::string, std::string>& metadata);
};

// A model initialised as the original: PyTorch defaults throughout (embedding N(0, 1),
// nn.Linear's uniform, LayerNorm ones/zeros). Draws from torch's global generator.
absl::StatusOr<std::shared_ptr<LanguageModel>> MakeSparseModel(const SparseConfig& config);

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_SPARSE_MODEL_H_
