// Copies of a model's weights: the best weights of a run, and the resume state's.
#ifndef ATTN_LIB_TRAIN_WEIGHTS_H_
#define ATTN_LIB_TRAIN_WEIGHTS_H_

#include <string>
#include <vector>

#include "lib/model/language_model.h"
#include "torch/torch.h"

namespace attn::train {

// A deep copy of every parameter and buffer, in the model's order (a shallow copy would
// follow later updates: a defect of the original, docs/design.md), and its restore.
std::vector<torch::Tensor> CopyWeights(model::LanguageModel& model);
void RestoreWeights(model::LanguageModel& model, const std::vector<torch::Tensor>& weights);

// The names of the tensors CopyWeights returns, in the same order.
std::vector<std::string> WeightNames(model::LanguageModel& model);

}  // namespace attn::train

#endif  // ATTN_LIB_TRAIN_WEIGHTS_H_
