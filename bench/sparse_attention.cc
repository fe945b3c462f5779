// Forward plus backward time of one attention layer, the allowed-pairs kernel against the
// dense masked computation (the original's, and PyTorch's own for full causal attention),
// over sequence lengths. Prints a markdown table.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gflags/gflags.h"
#include "lib/model/attention_patterns.h"
#include "lib/model/head_patterns.h"
#include "lib/model/sparse_model.h"
#include "lib/model/sparse_attention.h"
#include "lib/runtime/tool.h"
#include "lib/runtime/torch_runtime.h"
#include "torch/torch.h"
#include "tools/torch_main.h"

DEFINE_string(lengths, "256,512,1024,2048,4096", "comma-separated sequence lengths");
DEFINE_int64(masked_max_len, 2048,
             "longest L timed with the masked path (its L x L scores: 4096 needs > 10 GiB)");
DEFINE_int64(batch, 4, "batch size");
DEFINE_int64(d_model, 512, "model width");
DEFINE_int64(heads, 8, "heads");
DEFINE_string(pattern, "", "a built-in pattern for every head (e.g. dense); default: the sparse model's assignment");
DEFINE_double(dropout, 0.05, "attention dropout (training mode), as train_sparse");
DEFINE_bool(projections, false,
            "time the whole layer (q, k, v and output projections too), not only the attention");
DEFINE_int32(reps, 3, "timed repetitions after one warm-up");

namespace {

using attn::model::SparseAttentionImpl;

// CPU seconds this process has used (all threads): less disturbed than wall time when
// other work shares the machine.
double CpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

struct Timing {
  double wall_s;
  double cpu_s;
};

// Wall and CPU seconds per forward+backward, each the median of --reps.
Timing TimeLayer(SparseAttentionImpl impl, int64_t seq_len,
                 const std::vector<attn::model::AttentionPattern>& patterns, torch::nn::Linear& qkv,
                 torch::nn::Linear& out_proj) {
  const int64_t B = FLAGS_batch, H = FLAGS_heads, D = FLAGS_d_model / FLAGS_heads;
  attn::model::SparseAttentionOptions options;
  options.impl = impl;
  options.dropout = FLAGS_dropout;
  options.training = true;
  const torch::Tensor x = torch::randn({B, seq_len, FLAGS_d_model});
  const torch::Tensor q = torch::randn({B, H, seq_len, D}).requires_grad_();
  const torch::Tensor k = torch::randn({B, H, seq_len, D}).requires_grad_();
  const torch::Tensor v = torch::randn({B, H, seq_len, D}).requires_grad_();
  std::vector<double> walls, cpus;
  for (int rep = 0; rep <= FLAGS_reps; ++rep) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = CpuSeconds();
    torch::Tensor loss;
    if (FLAGS_projections) {
      const auto parts = qkv->forward(x).view({B, seq_len, 3, H, D}).permute({2, 0, 3, 1, 4}).unbind(0);
      const auto y = attn::model::SparseAttention(parts[0], parts[1], parts[2], patterns, options);
      loss = out_proj->forward(y.transpose(1, 2).reshape({B, seq_len, FLAGS_d_model})).sum();
    } else {
      loss = attn::model::SparseAttention(q, k, v, patterns, options).sum();
    }
    loss.backward();
    for (const torch::Tensor& leaf : {q, k, v}) leaf.mutable_grad() = torch::Tensor();
    if (rep == 0) continue;
    walls.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    cpus.push_back(CpuSeconds() - cpu_start);
  }
  std::sort(walls.begin(), walls.end());
  std::sort(cpus.begin(), cpus.end());
  return {walls[walls.size() / 2], cpus[cpus.size() / 2]};
}

}  // namespace

int main(int argc, char** argv) {
  attn::tools::InitTorchMain(&argc, &argv,
                               "sparse_attention [--lengths=256,...] [--masked_max_len=2048] "
                               "[--projections] [--threads=N]");
  std::vector<int64_t> lengths;
  for (const auto& field : absl::StrSplit(FLAGS_lengths, ',')) {
    int64_t L;
    if (!absl::SimpleAtoi(field, &L) || L < 1) {
      return attn::runtime::UsageError("--lengths must be positive integers, e.g. 256,1024");
    }
    lengths.push_back(L);
  }
  attn::model::SparseConfig config;
  config.heads = FLAGS_heads;
  const auto resolved = config.ResolvedPatterns();
  if (!resolved.ok()) return attn::runtime::Fail(resolved.status());
  std::vector<attn::model::AttentionPattern> patterns = resolved->Layer(0);
  std::string layout = attn::model::FormatHeadPatternDigits(resolved->LayerNames(0));
  if (!FLAGS_pattern.empty()) {
    const auto pattern = attn::model::BuiltinPattern(FLAGS_pattern);
    if (!pattern.has_value()) return attn::runtime::UsageError("--pattern=" + FLAGS_pattern + " is not a built-in");
    patterns.assign(FLAGS_heads, *pattern);
    layout = FLAGS_pattern;
  }
  torch::nn::Linear qkv(FLAGS_d_model, 3 * FLAGS_d_model), out_proj(FLAGS_d_model, FLAGS_d_model);
  std::printf("%s fwd+bwd, batch %ld, d_model %ld, %ld heads (%s), dropout %.2f, %d threads\n\n",
              FLAGS_projections ? "layer (with projections)" : "attention", FLAGS_batch,
              FLAGS_d_model, FLAGS_heads, layout.c_str(), FLAGS_dropout, at::get_num_threads());
  std::printf("Times in ms, wall (CPU of all threads); speed-up = masked / kernel wall time; GFLOP/s counts\n"
              "3 x the forward's 4 Dh FLOPs per allowed pair, per second of kernel wall time.\n\n");
  std::printf("| L | allowed/causal pairs | kernel | masked | speed-up | kernel CPU ns per allowed pair | kernel GFLOP/s |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const int64_t L : lengths) {
    int64_t allowed = 0;
    for (const auto& p : patterns) allowed += attn::model::PatternAtLength(p, L).PairCount();
    const double causal = static_cast<double>(FLAGS_heads) * L * (L + 1) / 2;
    const Timing kernel = TimeLayer(SparseAttentionImpl::kKernel, L, patterns, qkv, out_proj);
    char masked_ms[64] = "skipped", speedup[32] = "-";
    if (L <= FLAGS_masked_max_len) {
      const Timing masked = TimeLayer(SparseAttentionImpl::kMasked, L, patterns, qkv, out_proj);
      std::snprintf(masked_ms, sizeof masked_ms, "%.0f (%.0f)", masked.wall_s * 1e3, masked.cpu_s * 1e3);
      std::snprintf(speedup, sizeof speedup, "%.1fx", masked.wall_s / kernel.wall_s);
    }
    const double pairs = static_cast<double>(allowed) * FLAGS_batch;
    const double flops = 3 * 4 * (FLAGS_d_model / FLAGS_heads) * pairs;
    std::printf("| %ld | %.3f | %.0f (%.0f) | %s | %s | %.1f | %.1f |\n", L, allowed / causal,
                kernel.wall_s * 1e3, kernel.cpu_s * 1e3, masked_ms, speedup, kernel.cpu_s * 1e9 / pairs,
                flops / kernel.wall_s / 1e9);
    std::fflush(stdout);
  }
  return attn::runtime::kExitOk;
}
