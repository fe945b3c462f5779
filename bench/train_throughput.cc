// Training tokens/s of the dense and the sparse model (forward, backward, clipping and an
// AdamW step per batch, as the trainer does), in fp32 and bf16.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "gflags/gflags.h"
#include "lib/data/batches.h"
#include "lib/model/dense_model.h"
#include "lib/model/sparse_model.h"
#include "lib/runtime/precision.h"
#include "lib/runtime/progress.h"
#include "lib/runtime/tool.h"
#include "lib/runtime/torch_runtime.h"
#include "lib/train/optimizer.h"
#include "lib/train/train_step.h"
#include "lib/train/train_summary.h"
#include "torch/torch.h"
#include "tools/torch_main.h"

DEFINE_int32(steps, 5, "timed optimizer steps per configuration (after one untimed)");
DEFINE_int64(d_model, 256, "model width");
DEFINE_int64(layers, 4, "layers");
DEFINE_int64(heads, 8, "heads");
DEFINE_int64(ff, 1024, "feed-forward size");

namespace {

using attn::runtime::Precision;

struct Case {
  std::string kind;
  int64_t seq_len, batch;
  Precision precision;
};

std::shared_ptr<attn::model::LanguageModel> Make(const Case& c) {
  torch::manual_seed(1);
  if (c.kind == "dense") {
    attn::model::DenseConfig config;
    config.d_model = FLAGS_d_model;
    config.heads = FLAGS_heads;
    config.layers = FLAGS_layers;
    config.ff = FLAGS_ff;
    return attn::model::MakeDenseModel(config).value();
  }
  attn::model::SparseConfig config;
  config.d_model = FLAGS_d_model;
  config.heads = FLAGS_heads;
  config.layers = FLAGS_layers;
  config.ff = FLAGS_ff;
  config.max_len = c.seq_len;
  return attn::model::MakeSparseModel(config).value();
}

double TokensPerSecond(const Case& c) {
  std::shared_ptr<attn::model::LanguageModel> model = Make(c);
  model->train();
  auto optimizer = attn::train::MakeAdamW(*model, 1e-4, 0.1);
  const std::vector<torch::Tensor> parameters = attn::train::UniqueParameters(*model);
  const torch::Tensor tokens = torch::randint(0, 256, {c.batch, c.seq_len + 1}, torch::kInt64);
  const attn::data::Batch batch{tokens.narrow(1, 0, c.seq_len), tokens.narrow(1, 1, c.seq_len)};
  auto step = [&] {
    optimizer->zero_grad();
    attn::train::AccumulateGradients(*model, {batch}, c.precision, torch::kCPU);
    attn::train::ClipGradNorm(parameters, 1.0);
    optimizer->step();
  };
  step();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < FLAGS_steps; ++i) step();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return c.batch * c.seq_len * FLAGS_steps / s;
}

}  // namespace

int main(int argc, char** argv) {
  attn::tools::InitTorchMain(&argc, &argv, "train_throughput [--steps=5] [--threads=2]");
  std::printf("d_model %ld, layers %ld, heads %ld, ff %ld, %d threads\n", FLAGS_d_model, FLAGS_layers,
              FLAGS_heads, FLAGS_ff, at::get_num_threads());
  std::printf("%-7s %7s %5s %9s %12s\n", "model", "seq_len", "batch", "precision", "tokens/s");
  for (const Case& c : {Case{"dense", 256, 8, Precision::kFp32}, Case{"dense", 256, 8, Precision::kBf16},
                        Case{"sparse", 256, 8, Precision::kFp32}, Case{"sparse", 256, 8, Precision::kBf16},
                        Case{"sparse", 1024, 2, Precision::kFp32}, Case{"sparse", 1024, 2, Precision::kBf16}}) {
    const double rate = TokensPerSecond(c);
    std::printf("%-7s %7ld %5ld %9s %12.0f\n", c.kind.c_str(), c.seq_len, c.batch,
                c.precision == Precision::kBf16 ? "bf16" : "fp32", rate);
    std::fflush(stdout);
  }
  std::printf("peak resident memory %s\n",
              attn::runtime::Progress::FormatBytes(attn::train::PeakRssBytes()).c_str());
  return 0;
}
