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

template <typename scalar_t>
inline void ScaleKeptT(const scalar_t* in, scalar_t* out, int64_t first, int64_t n, uint64_t seed, double p) {
  using Acc = at::opmath_type<scalar_t>;
  const Acc keep_scale = static_cast<Acc>(1.0 / (1.0 - p));
  const uint32_t threshold = dropout_hash::DropThreshold(p);
  for (int64_t e = first; e < first + n;) {
    const int64_t chunk = e / kChunk;
    const uint64_t key = dropout_hash::RowKey(seed, 0, chunk);
    const auto j0 = static_cast<uint32_t>(e - chunk * kChunk);
    const auto count = static_cast<uint32_t>(std::min((chunk + 1) * kChunk, first + n) - e);
    const scalar_t* s = in + (e - first);
    scalar_t* d = out + (e - first);
    for (uint32_t j = 0; j < count; ++j) {
      const Acc factor = dropout_hash::PairHash(key, j0 + j) >= threshold ? keep_scale : Acc(0);
      d[j] = static_cast<scalar_t>(static_cast<Acc>(s[j]) * factor);
    }
    e += count;
  }
}

// out = in * (kept ? 1 / (1 - p) : 0), the decisions from (seed, element).
torch::Tensor ApplyDropout(const torch::Tensor& in_any, double p, uint64_t seed) {
  const torch::Tensor in = in_any.contiguous();
  torch::Tensor out = torch::empty_like(in);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, in.scalar_type(), "hash_dropout", [&] {
    const scalar_t* src = in.data_ptr<scalar_t>();
    scalar_t* dst = out.data_ptr<scalar_t>();
    at::parallel_for(0, in.numel(), kChunk, [&](int64_t begin, int64_t end) {
      ScaleKeptElements(src + begin, dst + begin, begin, end - begin, seed, p);
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
  if (!training || p == 0.0) return x;
  if (!x.device().is_cpu()) return torch::dropout(x, p, training);
  return HashDropoutFunction::apply(x, p);
}

// The float case, the one training runs, vectorised: GCC 12 at -O2 does not vectorise a loop
// with a remainder; an AVX2 clone is chosen at load time, also in --config=portable builds.
__attribute__((target_clones("avx2", "default"), optimize("O3"))) void ScaleKeptElements(
    const float* in, float* out, int64_t first, int64_t n, uint64_t seed, double p) {
  ScaleKeptT(in, out, first, n, seed, p);
}
void ScaleKeptElements(const double* in, double* out, int64_t first, int64_t n, uint64_t seed, double p) {
  ScaleKeptT(in, out, first, n, seed, p);
}
void ScaleKeptElements(const c10::BFloat16* in, c10::BFloat16* out, int64_t first, int64_t n, uint64_t seed, double p) {
  ScaleKeptT(in, out, first, n, seed, p);
}
void ScaleKeptElements(const c10::Half* in, c10::Half* out, int64_t first, int64_t n, uint64_t seed, double p) {
  ScaleKeptT(in, out, first, n, seed, p);
}

torch::Tensor HashDropoutKeepMask(uint64_t seed, int64_t numel, double p) {
  torch::Tensor mask = torch::ones({numel}, torch::kFloat);
  ScaleKeptElements(mask.data_ptr<float>(), mask.data_ptr<float>(), 0, numel, seed, p);
  return (mask != 0).to(torch::kFloat);
}

}  // namespace attn::model
