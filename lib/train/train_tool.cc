#include "lib/train/train_tool.h"

#include <cstdio>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gflags/gflags.h"
#include "lib/dist/communicator.h"
#include "lib/dist/data_parallel.h"
#include "lib/dist/dist_config.h"
#include "lib/model/checkpoint.h"
#include "lib/runtime/tool.h"

// The default is a CPU-sized model that learns something visible in minutes on 2 cores;
// --preset=paper is the original's configuration (DESIGN.md sections 4 and 5).
DEFINE_string(train, "", "training tokens (.u8, one byte per token)");
DEFINE_string(valid, "", "validation tokens (.u8)");
DEFINE_string(output, "", "the best checkpoint (safetensors); the resume state goes to OUTPUT.state");
DEFINE_string(log, "", "training log (TSV); default OUTPUT.log.tsv");
DEFINE_string(preset, "", "'paper': the original's full configuration (d_model 512, 8 heads, 12 layers, "
              "ff 2048, seq_len 1024, batch 32, 20 epochs, lr 1e-4, warmup 1000, grad_accum 4, "
              "patience 8); explicitly given flags override it");
DEFINE_int64(d_model, 128, "model width");
DEFINE_int64(heads, 4, "attention heads per layer");
DEFINE_int64(layers, 2, "transformer layers");
DEFINE_int64(ff, 256, "feed-forward size (the dense model's hidden layer is 2 * ff)");
DEFINE_double(dropout, 0.1, "dropout");
DEFINE_int64(seq_len, 128, "bytes per training window");
DEFINE_int64(batch_size, 16, "parallel streams per batch");
DEFINE_int64(grad_accum, 1, "batches per optimizer step (a final partial group also steps)");
DEFINE_int64(epochs, 1, "passes over the training tokens");
DEFINE_int64(max_steps, 2000, "stop after this many optimizer steps (0 = as many as --epochs give); "
             "the schedule spans the smaller of the two");
DEFINE_double(lr, 1e-3, "peak learning rate");
DEFINE_double(min_lr, 1e-8, "learning-rate floor of the cosine decay");
DEFINE_int64(warmup_steps, 100, "linear warmup steps");
DEFINE_double(weight_decay, 0.1, "AdamW weight decay (not for parameters named *bias*)");
DEFINE_double(clip_norm, 1.0, "clip the global gradient norm to this");
DEFINE_int64(eval_every, 200, "validate every this many steps as well as after every epoch (0 = per epoch only)");
DEFINE_int64(eval_batches, 20, "validation batches per validation (0 = the whole validation file)");
DEFINE_int64(patience, 8, "stop after this many validations without improvement (0 = never)");
DEFINE_uint64(seed, 42, "random seed (initialisation, dropout)");
DEFINE_string(precision, "fp32", "fp32, or bf16 (autocast; weights and optimizer state stay fp32)");
DEFINE_string(device, "cpu", "cpu or cuda");
DEFINE_bool(resume, false, "continue the run saved in OUTPUT.state exactly where it stopped");
DEFINE_int64(log_every, 10, "a train row in the log every this many steps");
DEFINE_int64(checkpoint_every, 100, "also save the resume state every this many steps (0 = at validations only)");
DEFINE_int64(stop_after, 0, "pause after this many steps in all (resume later with --resume); "
             "the schedule is unchanged");

namespace attn::train {
namespace {

const std::map<std::string, std::string>& PaperPreset() {
  static const auto* preset = new std::map<std::string, std::string>{
      {"d_model", "512"}, {"heads", "8"},         {"layers", "12"},       {"ff", "2048"},
      {"seq_len", "1024"}, {"batch_size", "32"},  {"epochs", "20"},       {"max_steps", "0"},
      {"lr", "1e-4"},      {"min_lr", "1e-9"},    {"warmup_steps", "1000"}, {"grad_accum", "4"},
      {"patience", "8"},   {"eval_every", "0"},   {"eval_batches", "0"}};
  return *preset;
}

absl::Status ApplyPreset() {
  if (FLAGS_preset.empty()) return absl::OkStatus();
  if (FLAGS_preset != "paper") {
    return absl::InvalidArgumentError(
        absl::StrCat("--preset=", FLAGS_preset, " is not known; use --preset=paper or leave it out"));
  }
  for (const auto& [name, value] : PaperPreset()) {
    if (gflags::GetCommandLineFlagInfoOrDie(name.c_str()).is_default) {
      gflags::SetCommandLineOption(name.c_str(), value.c_str());
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TrainOptions> TrainOptionsFromFlags() {
  if (absl::Status s = ApplyPreset(); !s.ok()) return s;
  for (const auto& [flag, value] : {std::pair<const char*, const std::string*>{"--train", &FLAGS_train},
                                    {"--valid", &FLAGS_valid},
                                    {"--output", &FLAGS_output}}) {
    if (value->empty()) return absl::InvalidArgumentError(absl::StrCat(flag, " is required"));
  }
  for (const auto& [flag, value] :
       {std::pair<const char*, int64_t>{"--seq_len", FLAGS_seq_len}, {"--batch_size", FLAGS_batch_size},
        {"--grad_accum", FLAGS_grad_accum}, {"--epochs", FLAGS_epochs}, {"--log_every", FLAGS_log_every}}) {
    if (value < 1) return absl::InvalidArgumentError(absl::StrCat(flag, "=", value, " must be at least 1"));
  }
  for (const auto& [flag, value] :
       {std::pair<const char*, int64_t>{"--max_steps", FLAGS_max_steps}, {"--warmup_steps", FLAGS_warmup_steps},
        {"--eval_every", FLAGS_eval_every}, {"--eval_batches", FLAGS_eval_batches},
        {"--patience", FLAGS_patience}, {"--checkpoint_every", FLAGS_checkpoint_every},
        {"--stop_after", FLAGS_stop_after}}) {
    if (value < 0) return absl::InvalidArgumentError(absl::StrCat(flag, "=", value, " must not be negative"));
  }
  if (FLAGS_lr <= 0 || FLAGS_min_lr < 0 || FLAGS_min_lr > FLAGS_lr) {
    return absl::InvalidArgumentError("need 0 < --lr and 0 <= --min_lr <= --lr");
  }
  TrainOptions o;
  o.train_path = runtime::ResolvePath(FLAGS_train);
  o.valid_path = runtime::ResolvePath(FLAGS_valid);
  o.output_path = runtime::ResolvePath(FLAGS_output);
  o.log_path = FLAGS_log.empty() ? o.output_path + ".log.tsv" : runtime::ResolvePath(FLAGS_log);
  o.seq_len = FLAGS_seq_len;
  o.batch_size = FLAGS_batch_size;
  o.grad_accum = FLAGS_grad_accum;
  o.epochs = FLAGS_epochs;
  o.max_steps = FLAGS_max_steps;
  o.lr = FLAGS_lr;
  o.min_lr = FLAGS_min_lr;
  o.warmup_steps = FLAGS_warmup_steps;
  o.weight_decay = FLAGS_weight_decay;
  o.clip_norm = FLAGS_clip_norm;
  o.eval_every = FLAGS_eval_every;
  o.eval_batches = FLAGS_eval_batches;
  o.patience = FLAGS_patience;
  o.seed = FLAGS_seed;
  o.log_every = FLAGS_log_every;
  o.checkpoint_every = FLAGS_checkpoint_every;
  o.stop_after = FLAGS_stop_after;
  o.resume = FLAGS_resume;
  absl::StatusOr<Precision> precision = ParsePrecision(FLAGS_precision);
  if (!precision.ok()) return precision.status();
  o.precision = *precision;
  absl::StatusOr<torch::Device> device = ParseDevice(FLAGS_device);
  if (!device.ok()) return device.status();
  o.device = *device;
  return o;
}

ModelSizeFlags ModelSizeFromFlags() {
  return {FLAGS_d_model, FLAGS_heads, FLAGS_layers, FLAGS_ff, FLAGS_dropout};
}

int RunTraining(model::LanguageModel& model, const TrainOptions& options) {
  // A data-parallel job when the environment or the flags say so (lib/dist).
  absl::StatusOr<dist::DistConfig> config = dist::DistConfigFromCommandLine();
  if (!config.ok()) return runtime::Fail(config.status());
  absl::StatusOr<std::unique_ptr<dist::Communicator>> comm = dist::Communicator::Connect(*config);
  if (!comm.ok()) return runtime::Fail(comm.status());
  TrainOptions job = options;
  TrainHooks hooks;
  hooks.save_checkpoint = [](const std::string& path, model::LanguageModel& m,
                             const std::map<std::string, std::string>& metadata) {
    return model::SaveCheckpoint(path, m, metadata);
  };
  if (absl::Status s = dist::ConfigureDataParallel(**comm, model, &job, &hooks); !s.ok()) {
    return runtime::Fail(s);
  }
  absl::StatusOr<TrainSummary> summary = Train(model, job, hooks);
  if (!summary.ok()) return runtime::Fail(summary.status());
  if (!(*comm)->is_main()) return runtime::kExitOk;
  std::fprintf(stderr, "%s: %s; best model in %s\n", runtime::ToolName().c_str(),
               FormatSummary(*summary).c_str(), options.output_path.c_str());
  return runtime::kExitOk;
}

}  // namespace attn::train
