#include "lib/model/decoder_weights.h"

namespace attn::model {

RowMatrix ToRowMatrix(const torch::Tensor& t) {
  TORCH_CHECK(t.dim() == 2 && t.scalar_type() == torch::kFloat && t.is_cpu(), "a 2-D float tensor on the CPU");
  const torch::Tensor c = t.detach().contiguous();
  return Eigen::Map<const RowMatrix>(c.data_ptr<float>(), c.size(0), c.size(1));
}

Eigen::RowVectorXf ToRowVector(const torch::Tensor& t) {
  TORCH_CHECK(t.scalar_type() == torch::kFloat && t.is_cpu(), "a float tensor on the CPU");
  const torch::Tensor c = t.detach().contiguous();
  return Eigen::Map<const Eigen::RowVectorXf>(c.data_ptr<float>(), c.numel());
}

LinearWeights LinearOf(const torch::Tensor& weight, const torch::Tensor& bias) {
  return {ToRowMatrix(weight), ToRowVector(bias)};
}

LinearWeights LinearOf(const torch::nn::LinearImpl& linear) { return LinearOf(linear.weight, linear.bias); }

LayerNormWeights LayerNormOf(const torch::nn::LayerNormImpl& norm) {
  return {ToRowVector(norm.weight), ToRowVector(norm.bias), static_cast<float>(norm.options.eps())};
}

bool IsFloatOnCpu(const torch::nn::Module& module) {
  for (const std::vector<torch::Tensor>& tensors : {module.parameters(), module.buffers()}) {
    for (const torch::Tensor& t : tensors) {
      if (!t.is_cpu() || t.scalar_type() != torch::kFloat) return false;
    }
  }
  return true;
}

}  // namespace attn::model
