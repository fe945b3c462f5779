// Training-step throughput of the two models alone (forward + backward, training mode, no
// optimizer): tokens/s for the sizes, dense with and without gradient
// checkpointing, sparse with the kernel and with the masked attention. Prints a markdown table.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "gflags/gflags.h"
#include "lib/model/dense_model.h"
#include "lib/model/sparse_model.h"
#include "lib/runtime/tool.h"
#include "lib/runtime/torch_runtime.h"
#include "torch/torch.h"
#include "tools/torch_main.h"

DEFINE_int64(d_model, 256, "model width");
DEFINE_int64(heads, 8, "heads");
DEFINE_int64(layers, 4, "layers");
DEFINE_int64(ff, 1024, "feed-forward size (the dense model's hidden width is 2*ff)");
DEFINE_int32(reps, 3, "timed steps after one warm-up; the median is reported");

namespace {

using attn::model::LanguageModel;

// Median seconds of one forward+backward of `model` on a random [batch, seq_len] batch.
double StepSeconds(LanguageModel& model, int64_t batch, int64_t seq_len) {
  model.train();
  const torch::Tensor tokens = torch::randint(0, 256, {batch, seq_len + 1}, torch::kLong);
  using torch::indexing::Slice;
  const torch::Tensor input = tokens.index({Slice(), Slice(0, seq_len)});
  const torch::Tensor target = tokens.index({Slice(), Slice(1, seq_len + 1)}).reshape({-1});
  std::vector<double> times;
  for (int rep = 0; rep <= FLAGS_reps; ++rep) {
    const auto start = std::chrono::steady_clock::now();
    torch::nn::functional::cross_entropy(model.Forward(input).reshape({-1, 256}), target).backward();
    model.zero_grad();
    if (rep > 0) times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  attn::tools::InitTorchMain(&argc, &argv, "model_step: forward+backward tokens/s of the dense and sparse models");
  struct Case {
    std::string name;
    int64_t batch, seq_len;
    std::function<absl::StatusOr<std::shared_ptr<LanguageModel>>()> make;
  };
  attn::model::DenseConfig dense;
  dense.d_model = FLAGS_d_model;
  dense.heads = FLAGS_heads;
  dense.layers = FLAGS_layers;
  dense.ff = FLAGS_ff;
  attn::model::DenseConfig dense_ckpt = dense;
  dense_ckpt.gradient_checkpointing = true;
  attn::model::SparseConfig sparse;
  sparse.d_model = FLAGS_d_model;
  sparse.heads = FLAGS_heads;
  sparse.layers = FLAGS_layers;
  sparse.ff = FLAGS_ff;
  sparse.max_len = 1024;
  attn::model::SparseConfig sparse_masked = sparse;
  sparse_masked.attention = attn::model::SparseAttentionImpl::kMasked;
  const std::vector<Case> cases = {
      {"dense", 8, 256, [&] { return attn::model::MakeDenseModel(dense); }},
      {"dense, gradient checkpointing", 8, 256, [&] { return attn::model::MakeDenseModel(dense_ckpt); }},
      {"sparse, kernel", 8, 256, [&] { return attn::model::MakeSparseModel(sparse); }},
      {"sparse, masked", 8, 256, [&] { return attn::model::MakeSparseModel(sparse_masked); }},
      {"sparse, kernel", 2, 1024, [&] { return attn::model::MakeSparseModel(sparse); }},
      {"sparse, masked", 2, 1024, [&] { return attn::model::MakeSparseModel(sparse_masked); }},
  };
  std::printf("d_model %ld, heads %ld, layers %ld, ff %ld, %d threads\n\n", FLAGS_d_model, FLAGS_heads,
              FLAGS_layers, FLAGS_ff, at::get_num_threads());
  std::printf("| model | batch | seq_len | s/step | tokens/s |\n|---|---|---|---|---|\n");
  for (const Case& c : cases) {
    torch::manual_seed(1);
    absl::StatusOr<std::shared_ptr<LanguageModel>> model = c.make();
    if (!model.ok()) return attn::runtime::Fail(model.status());
    const double s = StepSeconds(**model, c.batch, c.seq_len);
    std::printf("| %s | %ld | %ld | %.3f | %.0f |\n", c.name.c_str(), c.batch, c.seq_len, s,
                c.batch * c.seq_len / s);
    std::fflush(stdout);
  }
  return attn::runtime::kExitOk;
}
