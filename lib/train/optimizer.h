// AdamW with the decay groups of docs/design.md ("Training"), and gradient clipping.
#ifndef ATTN_LIB_TRAIN_OPTIMIZER_H_
#define ATTN_LIB_TRAIN_OPTIMIZER_H_

#include <memory>
#include <string>
#include <vector>

#include "torch/torch.h"

namespace attn::train {

// The trainable parameters split by name: every name containing "bias" goes without
// weight decay. A tensor shared under two names (the tied embedding and output weight)
// appears once, under its first name, so the optimizer steps it once.
struct DecayGroups {
  std::vector<std::string> decay_names, no_decay_names;
  std::vector<torch::Tensor> decay, no_decay;
};
DecayGroups SplitDecayGroups(torch::nn::Module& model);

// AdamW (betas 0.9/0.999, eps 1e-8) with group 0 = decayed (weight_decay), group 1 = not.
std::unique_ptr<torch::optim::AdamW> MakeAdamW(torch::nn::Module& model, double lr,
                                               double weight_decay);

void SetLearningRate(torch::optim::AdamW& optimizer, double lr);

// Each trainable parameter once (ties resolved as in SplitDecayGroups).
std::vector<torch::Tensor> UniqueParameters(torch::nn::Module& model);

// Scales the gradients so their global L2 norm is at most max_norm; returns the norm
// before clipping.
double ClipGradNorm(const std::vector<torch::Tensor>& parameters, double max_norm);

}  // namespace attn::train

#endif  // ATTN_LIB_TRAIN_OPTIMIZER_H_
