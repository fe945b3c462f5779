#include "lib/train/optimizer.h"

#include <unordered_set>
#include <utility>

namespace attn::train {

DecayGroups SplitDecayGroups(torch::nn::Module& model) {
  DecayGroups groups;
  std::unordered_set<const void*> seen;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    const torch::Tensor& p = item.value();
    if (!p.requires_grad() || !seen.insert(p.unsafeGetTensorImpl()).second) continue;
    if (item.key().find("bias") != std::string::npos) {
      groups.no_decay_names.push_back(item.key());
      groups.no_decay.push_back(p);
    } else {
      groups.decay_names.push_back(item.key());
      groups.decay.push_back(p);
    }
  }
  return groups;
}

std::unique_ptr<torch::optim::AdamW> MakeAdamW(torch::nn::Module& model, double lr,
                                               double weight_decay) {
  DecayGroups groups = SplitDecayGroups(model);
  auto options = [&](double decay) {
    return std::make_unique<torch::optim::AdamWOptions>(
        torch::optim::AdamWOptions(lr).betas({0.9, 0.999}).eps(1e-8).weight_decay(decay));
  };
  std::vector<torch::optim::OptimizerParamGroup> param_groups;
  param_groups.emplace_back(std::move(groups.decay), options(weight_decay));
  param_groups.emplace_back(std::move(groups.no_decay), options(0.0));
  return std::make_unique<torch::optim::AdamW>(std::move(param_groups),
                                               torch::optim::AdamWOptions(lr));
}

void SetLearningRate(torch::optim::AdamW& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) {
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
  }
}

std::vector<torch::Tensor> UniqueParameters(torch::nn::Module& model) {
  DecayGroups groups = SplitDecayGroups(model);
  std::vector<torch::Tensor> all = std::move(groups.decay);
  all.insert(all.end(), groups.no_decay.begin(), groups.no_decay.end());
  return all;
}

double ClipGradNorm(const std::vector<torch::Tensor>& parameters, double max_norm) {
  return torch::nn::utils::clip_grad_norm_(parameters, max_norm);
}

}  // namespace attn::train
