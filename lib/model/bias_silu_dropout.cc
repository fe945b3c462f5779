#include "lib/model/bias_silu_dropout.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <type_traits>

#include "ATen/CPUGeneratorImpl.h"
#include "ATen/Dispatch.h"
#include "ATen/OpMathType.h"
#include "ATen/Parallel.h"

namespace attn::model {
namespace {

// The drop probability as a threshold on 24 random bits: kept when the bits are below it.
uint32_t KeepThreshold(double p) { return static_cast<uint32_t>(std::llround((1.0 - p) * (1 << 24))); }

// A 32-bit integer hash (Wellons' lowbias32), applied twice with the seed's two halves as
// keys: a counter-based draw per element, so no state is shared between threads, and plain
// 32-bit arithmetic, so the loops below vectorise.
inline uint32_t Mix(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}
inline bool Kept(uint64_t seed, uint32_t index, uint32_t threshold) {
  // Both sides below 2^25: a signed comparison, which AVX2 has.
  return static_cast<int32_t>(Mix(Mix(index ^ static_cast<uint32_t>(seed)) + static_cast<uint32_t>(seed >> 32)) >> 8) <
         static_cast<int32_t>(threshold);
}

struct Dropout {
  bool active;
  uint64_t seed;
  uint32_t threshold;
  double p;
};

// out[i] = in[i] * (kept(first + i) ? 1 / (1 - p) : 0) (in may be out): torch dropout's
// product with its mask, the scale as it computes it (in the element type, float for bf16).
template <typename scalar_t>
inline void ScaleKeptT(const scalar_t* in, scalar_t* out, int64_t first, int64_t n, const Dropout& d) {
  using acc_t = at::opmath_type<scalar_t>;
  const acc_t scale = acc_t(1) / static_cast<acc_t>(1.0 - d.p);
  const uint32_t base = static_cast<uint32_t>(first);
  for (int64_t i = 0; i < n; ++i) {
    const acc_t v = static_cast<acc_t>(in[i]);
    out[i] = static_cast<scalar_t>(v * (Kept(d.seed, base + static_cast<uint32_t>(i), d.threshold) ? scale : acc_t(0)));
  }
}
// The float case (the one training runs) vectorised (-O2 alone does not, for a loop with a
// remainder), with an AVX2 clone chosen at load time also in --config=portable builds.
__attribute__((target_clones("avx2", "default"), optimize("O3"))) void ScaleKeptFloat(const float* in, float* out, int64_t first,
                                                                       int64_t n, const Dropout& d) {
  ScaleKeptT(in, out, first, n, d);
}
template <typename scalar_t>
void ScaleKept(const scalar_t* in, scalar_t* out, int64_t first, int64_t n, const Dropout& d) {
  if constexpr (std::is_same_v<scalar_t, float>) {
    ScaleKeptFloat(in, out, first, n, d);
  } else {
    ScaleKeptT(in, out, first, n, d);
  }
}

// f(first row, end row, scratch) over chunks of about 32K elements, the chunks spread over
// the threads: each chunk's passes (bias, activation, mask) run while it is in cache, through
// LibTorch's own vectorised silu kernels, so the arithmetic is LibTorch's. `scratch` (the
// chunk's shape) is allocated once per thread's range: a fresh 128 KiB block per chunk
// would be mapped and faulted in anew each time.
template <typename F>
void ForChunks(int64_t rows, int64_t cols, const torch::TensorOptions& options, const F& f) {
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(cols, 1));
  at::parallel_for(0, rows, grain, [&](int64_t first, int64_t last) {
    torch::Tensor scratch = torch::empty({std::min(grain, last - first), cols}, options);
    for (int64_t r = first; r < last; r += grain) {
      const int64_t end = std::min(last, r + grain);
      f(r, end, scratch.narrow(0, 0, end - r));
    }
  });
}

torch::ScalarType AccType(torch::ScalarType t) { return t == torch::kDouble ? torch::kDouble : torch::kFloat; }

class BiasSiluDropoutFunction : public torch::autograd::Function<BiasSiluDropoutFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& h,
                               const torch::Tensor& bias, double p, int64_t seed) {
    const torch::Tensor hc = h.contiguous();
    const torch::Tensor b = bias.detach().to(hc.scalar_type()).contiguous();
    const int64_t cols = hc.size(-1), rows = hc.numel() / std::max<int64_t>(cols, 1);
    TORCH_CHECK(hc.numel() < (int64_t{1} << 32), "BiasSiluDropout: more than 2^32 elements");
    torch::Tensor y = torch::empty_like(hc);
    const Dropout drop{p > 0, static_cast<uint64_t>(seed), KeepThreshold(p), p};
    const torch::Tensor h2 = hc.detach().view({rows, cols}), y2 = y.view({rows, cols});
    ForChunks(rows, cols, hc.options(), [&](int64_t first, int64_t last, torch::Tensor a) {
      torch::Tensor out = y2.narrow(0, first, last - first);
      at::silu_out(out, at::add_out(a, h2.narrow(0, first, last - first), b));
      if (!drop.active) return;
      AT_DISPATCH_FLOATING_TYPES_AND(at::ScalarType::BFloat16, out.scalar_type(), "BiasSiluDropout", [&] {
        ScaleKept(out.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), first * cols, out.numel(), drop);
      });
    });
    ctx->save_for_backward({hc, b});
    ctx->saved_data["p"] = p;
    ctx->saved_data["seed"] = seed;
    ctx->saved_data["bias_type"] = static_cast<int64_t>(bias.scalar_type());
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_output) {
    const torch::autograd::variable_list saved = ctx->get_saved_variables();
    const torch::Tensor& h = saved[0];
    const torch::Tensor& b = saved[1];
    const double p = ctx->saved_data["p"].toDouble();
    const Dropout drop{p > 0, static_cast<uint64_t>(ctx->saved_data["seed"].toInt()), KeepThreshold(p), p};
    const int64_t cols = h.size(-1), rows = h.numel() / std::max<int64_t>(cols, 1);
    const torch::Tensor dy = grad_output[0].to(h.scalar_type()).contiguous().view({rows, cols});
    torch::Tensor dh = torch::empty_like(h);
    const torch::Tensor h2 = h.view({rows, cols}), dh2 = dh.view({rows, cols});
    ForChunks(rows, cols, h.options(), [&](int64_t first, int64_t last, torch::Tensor a) {
      torch::Tensor out = dh2.narrow(0, first, last - first);
      torch::Tensor g = dy.narrow(0, first, last - first);
      if (drop.active) {  // the masked gradient in `out`, then silu's backward in place
        AT_DISPATCH_FLOATING_TYPES_AND(at::ScalarType::BFloat16, out.scalar_type(), "BiasSiluDropoutBackward", [&] {
          ScaleKept(g.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), first * cols, out.numel(), drop);
        });
        g = out;
      }
      at::silu_backward_out(out, g, at::add_out(a, h2.narrow(0, first, last - first), b));
    });
    const auto bias_type = static_cast<torch::ScalarType>(ctx->saved_data["bias_type"].toInt());
    torch::Tensor dbias = dh.reshape({rows, cols}).sum(0, /*keepdim=*/false, AccType(h.scalar_type())).to(bias_type);
    return {dh, dbias, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

uint64_t DrawDropoutSeed() {
  auto* generator = at::get_generator_or_default<at::CPUGeneratorImpl>(c10::nullopt, at::detail::getDefaultCPUGenerator());
  std::lock_guard<std::mutex> lock(generator->mutex_);
  return generator->random64();
}

torch::Tensor DropoutKeepMask(uint64_t seed, int64_t numel, double p) {
  torch::Tensor mask = torch::empty({numel}, torch::kFloat);
  float* m = mask.data_ptr<float>();
  const uint32_t threshold = KeepThreshold(p);
  for (int64_t i = 0; i < numel; ++i) m[i] = Kept(seed, static_cast<uint32_t>(i), threshold) ? 1.0f : 0.0f;
  return mask;
}

torch::Tensor BiasSiluDropout(const torch::Tensor& h, const torch::Tensor& bias, double p, bool training) {
  TORCH_CHECK(p >= 0 && p < 1, "BiasSiluDropout: drop probability ", p, " outside [0, 1)");
  const bool drop = training && p > 0;
  if (!h.device().is_cpu()) {
    return torch::nn::functional::dropout(torch::silu(h + bias),
                                          torch::nn::functional::DropoutFuncOptions().p(p).training(training));
  }
  const uint64_t seed = drop ? DrawDropoutSeed() : 0;
  return BiasSiluDropoutFunction::apply(h, bias, drop ? p : 0.0, static_cast<int64_t>(seed));
}

}  // namespace attn::model
