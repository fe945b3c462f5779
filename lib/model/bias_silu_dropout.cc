#include "lib/model/bias_silu_dropout.h"

#include <algorithm>

#include "ATen/Dispatch.h"
#include "ATen/OpMathType.h"
#include "ATen/Parallel.h"
#include "ATen/ThreadLocalState.h"
#include "lib/model/hash_dropout.h"

namespace attn::model {
namespace {

// f(first row, end row, scratch) over chunks of about 32K elements, the chunks spread over
// the threads: each chunk's passes (bias, activation, mask) run while it is in cache, through
// LibTorch's own vectorised silu kernels, so the arithmetic is LibTorch's. The chunks are the
// same at any thread count (LibTorch's vector loop treats a chunk's tail differently from its
// body, so other boundaries would change last bits). `scratch` (the chunk's shape) is
// allocated once per thread's range: a fresh 128 KiB block per chunk would be mapped and
// faulted in anew each time. The worker threads run LibTorch's operations under the caller's
// thread-local state (grad mode off inside an autograd function, autocast).
template <typename F>
void ForChunks(int64_t rows, int64_t cols, const torch::TensorOptions& options, const F& f) {
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(cols, 1));
  const int64_t chunks = (rows + grain - 1) / grain;
  const at::ThreadLocalState caller;
  at::parallel_for(0, chunks, 1, [&](int64_t first_chunk, int64_t last_chunk) {
    const at::ThreadLocalStateGuard state(caller);
    torch::Tensor scratch = torch::empty({std::min(grain, rows), cols}, options);
    for (int64_t c = first_chunk; c < last_chunk; ++c) {
      const int64_t r = c * grain, end = std::min(rows, r + grain);
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
    const torch::Tensor h2 = hc.detach().view({rows, cols}), y2 = y.view({rows, cols});
    ForChunks(rows, cols, hc.options(), [&](int64_t first, int64_t last, torch::Tensor a) {
      torch::Tensor out = y2.narrow(0, first, last - first);
      at::silu_out(out, at::add_out(a, h2.narrow(0, first, last - first), b));
      if (p == 0) return;
      AT_DISPATCH_FLOATING_TYPES_AND(at::ScalarType::BFloat16, out.scalar_type(), "BiasSiluDropout", [&] {
        ScaleKeptElements(out.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), first * cols, out.numel(), static_cast<uint64_t>(seed), p);
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
    const auto seed = static_cast<uint64_t>(ctx->saved_data["seed"].toInt());
    const int64_t cols = h.size(-1), rows = h.numel() / std::max<int64_t>(cols, 1);
    const torch::Tensor dy = grad_output[0].to(h.scalar_type()).contiguous().view({rows, cols});
    torch::Tensor dh = torch::empty_like(h);
    const torch::Tensor h2 = h.view({rows, cols}), dh2 = dh.view({rows, cols});
    ForChunks(rows, cols, h.options(), [&](int64_t first, int64_t last, torch::Tensor a) {
      torch::Tensor out = dh2.narrow(0, first, last - first);
      torch::Tensor g = dy.narrow(0, first, last - first);
      if (p > 0) {  // the masked gradient in `out`, then silu's backward in place
        AT_DISPATCH_FLOATING_TYPES_AND(at::ScalarType::BFloat16, out.scalar_type(), "BiasSiluDropoutBackward", [&] {
          ScaleKeptElements(g.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), first * cols, out.numel(), seed, p);
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
