// Data-parallel training throughput: trains the dense model for --steps optimizer steps
// through the same path as the training tools (lib/dist ConfigureDataParallel + lib/train
// Train) and prints, on rank 0, the steady-state tokens/s of the whole job and the
// gradient all-reduce time per step. Start it plainly (one process) or under
// scripts/launch_local.sh N (N processes). With --out it also writes the final weights,
// which the data-parallel equivalence test compares.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gflags/gflags.h"
#include "lib/dist/communicator.h"
#include "lib/dist/data_parallel.h"
#include "lib/dist/dist_config.h"
#include "lib/io/atomic_file.h"
#include "lib/model/checkpoint.h"
#include "lib/model/dense_model.h"
#include "lib/runtime/tool.h"
#include "lib/runtime/torch_runtime.h"
#include "lib/train/trainer.h"
#include "torch/torch.h"

DEFINE_string(train, "", "training tokens (.u8); empty: --synthetic_bytes random bytes");
DEFINE_string(valid, "", "validation tokens (.u8); empty: the training tokens");
DEFINE_int64(synthetic_bytes, 4 << 20, "size of the random token stream without --train");
DEFINE_int64(d_model, 256, "model width");
DEFINE_int64(layers, 4, "transformer blocks");
DEFINE_int64(heads, 8, "attention heads");
DEFINE_int64(ff, 1024, "feed-forward width (the hidden layer is 2 * ff)");
DEFINE_double(dropout, 0.0, "every dropout, token dropout and stochastic depth");
DEFINE_int64(seq_len, 256, "sequence length");
DEFINE_int64(batch_size, 8, "global batch: the sum over ranks");
DEFINE_int64(grad_accum, 1, "micro-batches per optimizer step");
DEFINE_int64(steps, 20, "optimizer steps");
DEFINE_int64(stop_after, 0, "pause after this many steps (resume state written)");
DEFINE_bool(resume, false, "continue from --out's resume state");
DEFINE_double(lr, 1e-4, "peak learning rate");
DEFINE_int64(warmup_steps, 2, "learning-rate warmup steps");
DEFINE_int64(seed, 42, "seed of the model initialisation and dropout");
DEFINE_string(out, "", "final weights (safetensors), resume state beside them; empty: none kept");
DEFINE_string(log, "", "training log (TSV)");

namespace attn {
namespace {

using Clock = std::chrono::steady_clock;

absl::Status Run() {
  absl::StatusOr<dist::DistConfig> config = dist::DistConfigFromCommandLine();
  if (!config.ok()) return config.status();
  absl::StatusOr<std::unique_ptr<dist::Communicator>> comm = dist::Communicator::Connect(*config);
  if (!comm.ok()) return comm.status();

  model::DenseConfig dense;
  dense.d_model = FLAGS_d_model;
  dense.layers = FLAGS_layers;
  dense.heads = FLAGS_heads;
  dense.ff = FLAGS_ff;
  dense.max_len = FLAGS_seq_len;
  dense.dropout = dense.attention_dropout = dense.activation_dropout = FLAGS_dropout;
  dense.token_dropout = dense.stochastic_depth = FLAGS_dropout;
  torch::manual_seed(FLAGS_seed);
  absl::StatusOr<std::shared_ptr<model::LanguageModel>> net = model::MakeDenseModel(dense);
  if (!net.ok()) return net.status();

  // Without --out the run's files go to a private folder, removed at the end.
  std::string scratch;
  std::string out = runtime::ResolvePath(FLAGS_out);
  if (FLAGS_out.empty()) {
    char folder[] = "/tmp/data_parallel_bench.XXXXXX";
    if (mkdtemp(folder) == nullptr) return absl::InternalError("cannot make a temporary folder");
    scratch = folder;
    out = scratch + "/model.safetensors";
  }
  std::string train_path = runtime::ResolvePath(FLAGS_train);
  if (FLAGS_train.empty()) {
    train_path = scratch.empty() ? out + ".tokens" : scratch + "/tokens.u8";
    // The same bytes on every rank: a fixed generator, not the global one.
    std::string bytes(FLAGS_synthetic_bytes, '\0');
    uint64_t x = 12345;
    for (char& c : bytes) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      c = static_cast<char>(x >> 56);
    }
    if (absl::Status s = io::WriteFileAtomically(absl::StrCat(train_path, ".", (*comm)->rank()), bytes);
        !s.ok()) {
      return s;
    }
    train_path = absl::StrCat(train_path, ".", (*comm)->rank());
  }

  train::TrainOptions options;
  options.train_path = train_path;
  options.valid_path = FLAGS_valid.empty() ? train_path : runtime::ResolvePath(FLAGS_valid);
  options.output_path = out;
  options.log_path = runtime::ResolvePath(FLAGS_log);
  options.seq_len = FLAGS_seq_len;
  options.batch_size = FLAGS_batch_size;
  options.grad_accum = FLAGS_grad_accum;
  options.epochs = 1000;
  options.max_steps = FLAGS_steps;
  options.stop_after = FLAGS_stop_after;
  options.resume = FLAGS_resume;
  options.lr = FLAGS_lr;
  options.min_lr = FLAGS_lr / 10;
  options.warmup_steps = FLAGS_warmup_steps;
  options.eval_batches = 1;
  options.patience = 0;
  options.seed = FLAGS_seed;

  // Steady-state timing: from the first step's gradients to the last step's.
  // The first step also waits for the slowest rank's start-up, so it is left out.
  int64_t timed_steps = -1;
  Clock::time_point first;
  double allreduce_before = 0;
  train::TrainHooks hooks;
  hooks.after_gradients = [&]() {
    if (++timed_steps == 0) {
      first = Clock::now();
      allreduce_before = (*comm)->gradient_seconds();
    }
    return absl::OkStatus();
  };
  if (!FLAGS_out.empty()) hooks.save_checkpoint = model::SaveCheckpoint;
  if (absl::Status s = dist::ConfigureDataParallel(**comm, **net, &options, &hooks); !s.ok()) return s;

  absl::StatusOr<train::TrainSummary> summary = train::Train(**net, options, hooks);
  const double seconds = std::chrono::duration<double>(Clock::now() - first).count();
  if (!scratch.empty()) std::system(absl::StrCat("rm -rf '", scratch, "'").c_str());
  if (!summary.ok()) return summary.status();
  if ((*comm)->is_main() && timed_steps > 0) {
    const double step_s = seconds / timed_steps;
    const double allreduce_s = ((*comm)->gradient_seconds() - allreduce_before) / timed_steps;
    std::printf(
        "world_size %d x %d threads: %.0f tokens/s, %.1f ms/step, gradient all-reduce "
        "%.1f ms/step (%.0f%%)\n",
        (*comm)->world_size(), at::get_num_threads(),
        FLAGS_batch_size * FLAGS_seq_len * FLAGS_grad_accum / step_s, step_s * 1e3,
        allreduce_s * 1e3, 100 * allreduce_s / step_s);
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace attn

int main(int argc, char** argv) {
  attn::runtime::InitTorchTool(&argc, &argv,
                               "data_parallel_bench [--steps=N --batch_size=B ...] "
                               "(under scripts/launch_local.sh N for N processes)");
  if (absl::Status s = attn::Run(); !s.ok()) return attn::runtime::Fail(s);
  return attn::runtime::kExitOk;
}
