#include "lib/model/model_parts.h"

#include <cmath>
#include <stdexcept>

#include "absl/strings/str_cat.h"

namespace attn::model {

torch::Tensor SinusoidalTable(int64_t max_len, int64_t d_model) {
  torch::Tensor pe = torch::zeros({max_len, d_model});
  torch::Tensor position = torch::arange(0, max_len, torch::kFloat).unsqueeze(1);
  torch::Tensor div_term =
      torch::exp(torch::arange(0, d_model, 2, torch::kFloat) * (-std::log(10000.0) / static_cast<double>(d_model)));
  using torch::indexing::None;
  using torch::indexing::Slice;
  pe.index_put_({Slice(), Slice(0, None, 2)}, torch::sin(position * div_term));
  pe.index_put_({Slice(), Slice(1, None, 2)}, torch::cos(position * div_term));
  return pe;
}

void CheckTokens(const torch::Tensor& tokens, int64_t max_len) {
  if (tokens.dim() != 2 || tokens.scalar_type() != torch::kLong) {
    throw std::invalid_argument(absl::StrCat("model input must be a [batch, seq_len] int64 tensor, got ",
                                             tokens.dim(), " dimensions of ", c10::toString(tokens.scalar_type())));
  }
  if (tokens.size(1) < 1 || tokens.size(1) > max_len) {
    throw std::invalid_argument(absl::StrCat("sequence length ", tokens.size(1), " is outside 1..", max_len,
                                             ", the model's positional table; use shorter sequences"));
  }
}

torch::Tensor FutureMask(int64_t seq_len, const torch::Device& device) {
  return torch::ones({seq_len, seq_len}, torch::TensorOptions().dtype(torch::kBool).device(device)).triu(1);
}

namespace {
thread_local bool weights_to_be_loaded = false;
}  // namespace

WeightsToBeLoaded::WeightsToBeLoaded() : outer_(weights_to_be_loaded) { weights_to_be_loaded = true; }
WeightsToBeLoaded::~WeightsToBeLoaded() { weights_to_be_loaded = outer_; }

void TruncatedNormal(torch::Tensor& t, double std, double lo, double hi) {
  if (weights_to_be_loaded) return;
  // The inverse-CDF method of torch.nn.init._no_grad_trunc_normal_ (mean 0).
  auto norm_cdf = [](double x) { return (1.0 + std::erf(x / std::sqrt(2.0))) / 2.0; };
  const double l = norm_cdf(lo / std), u = norm_cdf(hi / std);
  torch::NoGradGuard no_grad;
  t.uniform_(2 * l - 1, 2 * u - 1);
  t.erfinv_();
  t.mul_(std * std::sqrt(2.0));
  t.clamp_(lo, hi);
}

}  // namespace attn::model
