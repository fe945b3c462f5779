// Where a dense training step (the trainer's TrainStep: forward, backward, clipping, AdamW)
// spends its time: LibTorch's profiler over a few steps, self CPU time per operation, the
// top entries as a markdown table (docs/performance.md, "Profile of a dense training step").
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gflags/gflags.h"
#include "lib/data/batches.h"
#include "lib/model/bias_silu_dropout.h"
#include "lib/model/dense_model.h"
#include "lib/runtime/tool.h"
#include "lib/train/optimizer.h"
#include "lib/train/train_step.h"
#include "torch/csrc/autograd/profiler_legacy.h"
#include "torch/torch.h"
#include "tools/torch_main.h"

DEFINE_int64(d_model, 256, "model width");
DEFINE_int64(heads, 8, "heads");
DEFINE_int64(layers, 4, "layers");
DEFINE_int64(ff, 1024, "feed-forward size (the hidden width is 2 * ff)");
DEFINE_int64(seq_len, 256, "bytes per sequence");
DEFINE_int64(batch, 8, "sequences per step");
DEFINE_double(stochastic_depth, 0.1, "the model's (0: every step runs every block, for comparing two builds)");
DEFINE_int32(warmup, 2, "untimed steps first");
DEFINE_int32(steps, 5, "profiled steps");
DEFINE_int32(top, 12, "operations listed");
DEFINE_int32(ff_reps, 9, "alternating repetitions of the feed-forward comparison (0: none)");

namespace {

namespace profiler = torch::autograd::profiler;

struct OpTime {
  double self_us = 0;
  int64_t calls = 0;
};

// Self time (own time minus that of the operations it called) per operation name, from
// each thread's nested push/pop ranges.
std::map<std::string, OpTime> SelfTimes(const profiler::thread_event_lists& threads) {
  std::map<std::string, OpTime> ops;
  for (const std::vector<profiler::LegacyEvent>& events : threads) {
    struct Open {
      const profiler::LegacyEvent* push;
      double children_us;
    };
    std::vector<Open> stack;
    for (const profiler::LegacyEvent& e : events) {
      if (e.kind() == profiler::EventKind::PushRange) {
        stack.push_back({&e, 0});
      } else if (e.kind() == profiler::EventKind::PopRange && !stack.empty()) {
        const Open open = stack.back();
        stack.pop_back();
        const double total = open.push->cpuElapsedUs(e);
        OpTime& op = ops[open.push->name()];
        op.self_us += total - open.children_us;
        ++op.calls;
        if (!stack.empty()) stack.back().children_us += total;
      }
    }
  }
  return ops;
}

double CpuSeconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// One block's feed-forward at the step's size (activation dropout 0.1), forward and backward,
// through LibTorch's modules as before (the bias in the product, then silu and dropout) and
// with the fused bias + silu + dropout, and the activation alone both ways; median CPU
// milliseconds (all threads) of each, the four alternating.
void CompareFeedForward() {
  namespace F = torch::nn::functional;
  torch::manual_seed(2);
  const int64_t rows = FLAGS_batch * FLAGS_seq_len, hidden = 2 * FLAGS_ff;
  torch::nn::Linear in(FLAGS_d_model, hidden), out(hidden, FLAGS_d_model);
  const torch::Tensor x = torch::randn({rows, FLAGS_d_model}).requires_grad_(true);
  const torch::Tensor h = torch::randn({rows, hidden}).requires_grad_(true);
  const torch::Tensor x_grad = torch::randn({rows, FLAGS_d_model}), h_grad = torch::randn({rows, hidden});
  const auto drop = F::DropoutFuncOptions().p(0.1).training(true);
  struct Way {
    const char* name;
    std::function<torch::Tensor()> run;
    const torch::Tensor& grad;
  };
  const std::vector<Way> ways = {
      {"feed-forward, LibTorch's ops", [&] { return out(F::dropout(F::silu(in(x)), drop)); }, x_grad},
      {"feed-forward, fused",
       [&] { return out(attn::model::BiasSiluDropout(F::linear(x, in->weight), in->bias, 0.1, true)); }, x_grad},
      {"bias + silu + dropout, LibTorch's ops", [&] { return F::dropout(F::silu(h + in->bias), drop); }, h_grad},
      {"bias + silu + dropout, fused", [&] { return attn::model::BiasSiluDropout(h, in->bias, 0.1, true); }, h_grad}};
  std::vector<std::vector<double>> ms(ways.size());
  for (int rep = 0; rep <= FLAGS_ff_reps; ++rep) {
    for (size_t w = 0; w < ways.size(); ++w) {
      const double start = CpuSeconds();
      ways[w].run().backward(ways[w].grad);
      if (rep > 0) ms[w].push_back(1e3 * (CpuSeconds() - start));
    }
  }
  std::printf("\n[%ld x %ld] -> %ld -> %ld, forward + backward, CPU ms (median of %d)\n\n| | CPU ms |\n|---|---|\n",
              rows, FLAGS_d_model, hidden, FLAGS_d_model, FLAGS_ff_reps);
  for (size_t w = 0; w < ways.size(); ++w) std::printf("| %s | %.1f |\n", ways[w].name, Median(ms[w]));
}

}  // namespace

int main(int argc, char** argv) {
  attn::tools::InitTorchMain(&argc, &argv, "dense_step_profile [--steps=5] [--threads=2]");
  attn::model::DenseConfig config;
  config.d_model = FLAGS_d_model;
  config.heads = FLAGS_heads;
  config.layers = FLAGS_layers;
  config.ff = FLAGS_ff;
  config.stochastic_depth = FLAGS_stochastic_depth;
  torch::manual_seed(1);
  std::shared_ptr<attn::model::LanguageModel> model = attn::model::MakeDenseModel(config).value();
  model->train();
  auto optimizer = attn::train::MakeAdamW(*model, 1e-4, 0.1);
  const std::vector<torch::Tensor> parameters = attn::train::UniqueParameters(*model);
  const torch::Tensor tokens = torch::randint(0, 256, {FLAGS_batch, FLAGS_seq_len + 1}, torch::kInt64);
  const std::vector<attn::data::Batch> batch = {
      {tokens.narrow(1, 0, FLAGS_seq_len), tokens.narrow(1, 1, FLAGS_seq_len)}};
  attn::train::StepSettings settings;
  settings.lr = 1e-4;
  auto step = [&] { attn::train::TrainStep(*model, *optimizer, parameters, batch, settings).value(); };
  for (int i = 0; i < FLAGS_warmup; ++i) step();

  profiler::thread_event_lists events;
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();  // all threads' CPU time: steadier under load
  {
    profiler::TLSLegacyProfilerGuard guard(
        torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU),
        [&](const profiler::thread_event_lists& e) { events = e; });
    for (int i = 0; i < FLAGS_steps; ++i) step();
  }
  const double wall_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  const double cpu_s = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;

  std::map<std::string, OpTime> ops = SelfTimes(events);
  std::vector<std::pair<std::string, OpTime>> sorted(ops.begin(), ops.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.second.self_us > b.second.self_us; });
  double profiled_us = 0;
  for (const auto& [name, op] : sorted) profiled_us += op.self_us;
  std::printf("dense d_model %ld, heads %ld, layers %ld, ff %ld, seq %ld x batch %ld, %d threads, fp32: "
              "%d steps, %.1f ms/step (profiled), %.0f tokens/s, %.2f CPU s/step; operations' self time %.1f%% of "
              "wall\n\n",
              FLAGS_d_model, FLAGS_heads, FLAGS_layers, FLAGS_ff, FLAGS_seq_len, FLAGS_batch,
              at::get_num_threads(), FLAGS_steps, wall_us / FLAGS_steps / 1e3,
              FLAGS_batch * FLAGS_seq_len * FLAGS_steps / (wall_us / 1e6), cpu_s / FLAGS_steps,
              100 * profiled_us / wall_us);
  std::printf("| operation | self time | of the step | calls per step |\n|---|---|---|---|\n");
  for (int i = 0; i < FLAGS_top && i < static_cast<int>(sorted.size()); ++i) {
    const auto& [name, op] = sorted[i];
    std::printf("| `%s` | %.1f ms | %.1f%% | %.0f |\n", name.c_str(), op.self_us / FLAGS_steps / 1e3,
                100 * op.self_us / wall_us, static_cast<double>(op.calls) / FLAGS_steps);
  }
  if (FLAGS_ff_reps > 0) CompareFeedForward();
  return attn::runtime::kExitOk;
}
