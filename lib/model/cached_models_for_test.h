// Test helper: the small models both cached forwards (KVCache, Decoder) are checked on, and
// the closeness of their logits to the full forward's.
#ifndef ATTN_LIB_MODEL_CACHED_MODELS_FOR_TEST_H_
#define ATTN_LIB_MODEL_CACHED_MODELS_FOR_TEST_H_

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/model/dense_model.h"
#include "lib/model/pattern_file.h"
#include "lib/model/pattern_support_for_test.h"
#include "lib/model/sparse_model.h"

namespace attn::model {

struct CachedModelCase {
  std::string name;
  std::function<std::shared_ptr<LanguageModel>()> make;
  bool patterns_move;  // some head has anchors, so some steps recompute more than one row
};

inline std::vector<CachedModelCase> CachedModels() {
  DenseConfig dense;
  dense.d_model = 16;
  dense.heads = 4;
  dense.layers = 2;
  dense.ff = 8;
  dense.max_len = 48;
  DenseConfig patterned = dense;
  patterned.patterns = *ParsePatternFile(kCustomPatternFile, "custom", 2, 4);  // anchors in both layers
  DenseConfig banded = dense;
  banded.patterns = *HeadPatterns::SameEveryLayer({}, {"local8", "strided", "dense", "local16"}, 2);
  SparseConfig sparse;  // the default assignment for 4 heads, global heads included
  sparse.d_model = 16;
  sparse.heads = 4;
  sparse.layers = 3;
  sparse.ff = 24;
  sparse.max_len = 48;
  SparseConfig sparse_local = sparse;
  sparse_local.head_patterns = "0,3,1,0";
  SparseConfig sparse_masked = sparse;
  sparse_masked.attention = SparseAttentionImpl::kMasked;
  return {{"dense", [=] { return *MakeDenseModel(dense); }, false},
          {"dense with anchored patterns", [=] { return *MakeDenseModel(patterned); }, true},
          {"dense with bands and strides", [=] { return *MakeDenseModel(banded); }, false},
          {"sparse", [=] { return *MakeSparseModel(sparse); }, true},
          {"sparse without anchors", [=] { return *MakeSparseModel(sparse_local); }, false},
          {"sparse, masked attention", [=] { return *MakeSparseModel(sparse_masked); }, true}};
}

// Runs `check` on each model of CachedModels(), made after torch::manual_seed(seed), in eval
// mode without autograd.
inline void ForEachCachedModel(
    uint64_t seed, const std::function<void(const CachedModelCase&, const std::shared_ptr<LanguageModel>&)>& check) {
  for (const CachedModelCase& c : CachedModels()) {
    SCOPED_TRACE(c.name);
    torch::manual_seed(seed);
    std::shared_ptr<LanguageModel> m = c.make();
    m->eval();
    torch::NoGradGuard no_grad;
    check(c, m);
  }
}

inline ::testing::AssertionResult CloseLogits(const torch::Tensor& got, const torch::Tensor& want) {
  const double error = (got - want).abs().max().item<double>();
  const double scale = std::max(1.0, want.abs().max().item<double>());
  if (error <= 1e-5 * scale) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "max error " << error << " at logits up to " << scale;
}

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_CACHED_MODELS_FOR_TEST_H_
