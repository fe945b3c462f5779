#include "lib/train/weights.h"

namespace attn::train {

std::vector<torch::Tensor> CopyWeights(model::LanguageModel& model) {
  std::vector<torch::Tensor> copy;
  for (const auto& p : model.parameters()) copy.push_back(p.detach().clone());
  for (const auto& b : model.buffers()) copy.push_back(b.detach().clone());
  return copy;
}

void RestoreWeights(model::LanguageModel& model, const std::vector<torch::Tensor>& weights) {
  torch::NoGradGuard no_grad;
  size_t i = 0;
  for (auto& p : model.parameters()) p.copy_(weights.at(i++));
  for (auto& b : model.buffers()) b.copy_(weights.at(i++));
}

std::vector<std::string> WeightNames(model::LanguageModel& model) {
  std::vector<std::string> names;
  for (const auto& item : model.named_parameters()) names.push_back(item.key());
  for (const auto& item : model.named_buffers()) names.push_back(item.key());
  return names;
}

}  // namespace attn::train
