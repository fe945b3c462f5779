// Tests' token files: n uniformly random bytes, the same for the same seed (drawn through
// LibTorch's generator, which the call reseeds).
#ifndef ATTN_LIB_EVAL_RANDOM_TOKENS_FOR_TEST_H_
#define ATTN_LIB_EVAL_RANDOM_TOKENS_FOR_TEST_H_

#include <cstdint>
#include <string>

#include <torch/torch.h>

namespace attn::eval {

inline std::string RandomBytes(int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  const torch::Tensor t = torch::randint(0, 256, {n}, torch::kLong);
  std::string out(n, '\0');
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<char>(t[i].item<int64_t>());
  return out;
}

}  // namespace attn::eval

#endif  // ATTN_LIB_EVAL_RANDOM_TOKENS_FOR_TEST_H_
