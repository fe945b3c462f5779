#include "lib/model/hash_dropout.h"

#include <algorithm>
#include <mutex>

#include "ATen/CPUGeneratorImpl.h"
#include "ATen/Dispatch.h"
#include "ATen/OpMathType.h"
#include "ATen/Parallel.h"
#include "lib/model/dropout_hash.h"
#include "torch/csrc/autograd/custom_function.h"

namespace attn::model {
namespace {

// Elements per hash key: element e is pair (e / kChunk, e % kChunk) of dropout_hash.h.
constexpr int64_t kChunk = int64_t{1} << 16;

// out = in * (kept ? 1 / (1 - p) : 0), the decisions from (seed, element).
torch::Tensor ApplyDropout(const torch::Tensor& in_any, double p, uint64_t seed) {
  const torch::Tensor in = in_any.contiguous();
  torch::Tensor out = torch::empty_like(in);
  const int64_t n = in.numel();
  const uint32_t threshold = dropout_hash::DropThreshold(p);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, in.scalar_type(), "hash_dropout", [&] {
    using Acc = at::opmath_type<scalar_t>;
    const Acc keep_scale = static_cast<Acc>(1.0 / (1.0 - p));
    const scalar_t* src = in.data_ptr<scalar_t>();
    scalar_t* dst = out.data_ptr<scalar_t>();
    at::parallel_for(0, (n + kChunk - 1) / kChunk, 1, [&](int64_t begin, int64_t end) {
      for (int64_t chunk = begin; chunk < end; ++chunk) {
        const uint64_t key = dropout_hash::RowKey(seed, 0, chunk);
        const scalar_t* s = src + chunk * kChunk;
        scalar_t* d = dst + chunk * kChunk;
        const auto count = static_cast<uint32_t>(std::min(kChunk, n - chunk * kChunk));
        for (uint32_t j = 0; j < count; ++j) {
          const Acc factor = dropout_hash::PairHash(key, j) >= threshold ? keep_scale : Acc(0);
          d[j] = static_cast<scalar_t>(static_cast<Acc>(s[j]) * factor);
        }
      }
    });
  });
  return out;
}

class HashDropoutFunction : public torch::autograd::Function<HashDropoutFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, double p) {
    const uint64_t seed = DrawDropoutSeed();
    ctx->saved_data["seed"] = static_cast<int64_t>(seed);
    ctx->saved_data["p"] = p;
    return ApplyDropout(x, p, seed);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto seed = static_cast<uint64_t>(ctx->saved_data["seed"].toInt());
    return {ApplyDropout(grads[0], ctx->saved_data["p"].toDouble(), seed), torch::Tensor()};
  }
};

}  // namespace

uint64_t DrawDropoutSeed() {
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get<at::CPUGeneratorImpl>()->random64();
}

torch::Tensor HashDropout(const torch::Tensor& x, double p, bool training) {
  TORCH_CHECK(p >= 0.0 && p < 1.0, "hash dropout: p = ", p, " must be in [0, 1)");
  TORCH_CHECK(x.device().is_cpu(), "hash dropout runs on the CPU only, but the tensor is on ", x.device());
  if (!training || p == 0.0) return x;
  return HashDropoutFunction::apply(x, p);
}

}  // namespace attn::model
