#include "tools/train_flags.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gflags/gflags.h"
#include "lib/model/pattern_file.h"
#include "lib/runtime/cpu_features.h"
#include "lib/runtime/device.h"
#include "lib/runtime/option_names.h"
#include "lib/runtime/precision.h"
#include "lib/runtime/tool.h"
#include "tools/device_flag.h"
#include "tools/dist_flags.h"

// The default is a CPU-sized model that learns something visible in minutes on 2 cores;
// --preset=paper is the original's configuration (docs/design.md, "The models", "Training").
DEFINE_string(train, "", "training tokens (.u8, one byte per token)");
DEFINE_string(valid, "", "validation tokens (.u8)");
DEFINE_string(output, "", "the best checkpoint (safetensors); the resume state goes to OUTPUT.state");
DEFINE_string(log, "", "training log (TSV); default OUTPUT.log.tsv");
DEFINE_bool(resume, false, "continue the run saved in OUTPUT.state exactly where it stopped");
DEFINE_bool(overwrite, false, "start afresh over a run already in --output (its checkpoint, state and log)");
DEFINE_string(preset, "", "'paper': the original's full configuration (d_model 512, 8 heads, 12 layers, "
              "ff 2048, seq_len 1024, batch 32, 20 epochs, lr 1e-4, warmup 1000, grad_accum 4, "
              "patience 8); explicitly given flags override it");
DEFINE_string(patterns, "", "attention patterns: a pattern file (JSON) naming patterns and giving one to each "
              "head, for all layers or per layer; without it, the model's own attention");
DEFINE_int64(d_model, 128, "model width");
DEFINE_int64(heads, 4, "attention heads per layer");
DEFINE_int64(layers, 2, "transformer layers");
DEFINE_int64(ff, 256, "feed-forward size (the dense model's hidden layer is 2 * ff)");
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
DEFINE_string(precision, "auto", "auto (bf16 where the CPU computes bf16 natively, else fp32; logged), fp32, or "
              "bf16 (autocast; weights and optimizer state stay fp32)");
DEFINE_int64(log_every, 10, "a train row in the log every this many steps");
DEFINE_int64(checkpoint_every, 100, "also save the resume state every this many steps (0 = at validations only)");
DEFINE_int64(stop_after, 0, "pause after this many steps in all (resume later with --resume); "
             "the schedule is unchanged");

namespace attn::tools {
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
    return absl::InvalidArgumentError(absl::StrCat(
        runtime::Opt("preset"), "=", FLAGS_preset, " is not known; use ", runtime::Opt("preset"),
        "=paper or leave it out"));
  }
  for (const auto& [name, value] : PaperPreset()) {
    if (gflags::GetCommandLineFlagInfoOrDie(name.c_str()).is_default) {
      gflags::SetCommandLineOption(name.c_str(), value.c_str());
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<train::TrainOptions> TrainOptionsFromFlags() {
  if (absl::Status s = ApplyPreset(); !s.ok()) return s;
  train::TrainOptions options;
  train::TrainSpec& spec = options.spec;
  spec.train = runtime::ResolvePath(FLAGS_train);
  spec.valid = runtime::ResolvePath(FLAGS_valid);
  spec.output = runtime::ResolvePath(FLAGS_output);
  spec.log = runtime::ResolvePath(FLAGS_log);
  spec.resume = FLAGS_resume;
  spec.overwrite = FLAGS_overwrite;
  spec.seq_len = FLAGS_seq_len;
  spec.batch_size = FLAGS_batch_size;
  spec.grad_accum = FLAGS_grad_accum;
  spec.epochs = FLAGS_epochs;
  spec.max_steps = FLAGS_max_steps;
  spec.lr = FLAGS_lr;
  spec.min_lr = FLAGS_min_lr;
  spec.warmup_steps = FLAGS_warmup_steps;
  spec.weight_decay = FLAGS_weight_decay;
  spec.clip_norm = FLAGS_clip_norm;
  spec.eval_every = FLAGS_eval_every;
  spec.eval_batches = FLAGS_eval_batches;
  spec.patience = FLAGS_patience;
  spec.seed = FLAGS_seed;
  spec.log_every = FLAGS_log_every;
  spec.checkpoint_every = FLAGS_checkpoint_every;
  spec.stop_after = FLAGS_stop_after;
  absl::StatusOr<runtime::Precision> precision = runtime::ParsePrecision(FLAGS_precision);
  if (!precision.ok()) return precision.status();
  spec.precision = *precision;
  spec.precision_note = runtime::AutoPrecisionNote(FLAGS_precision, runtime::DetectCpuFeatures());
  absl::StatusOr<torch::Device> device = runtime::ParseDevice(FLAGS_device);
  if (!device.ok()) return device.status();
  spec.device = *device;
  absl::StatusOr<dist::DistConfig> dist = DistConfigFromFlags();
  if (!dist.ok()) return dist.status();
  options.dist = *dist;
  return options;
}

ModelSize ModelSizeFromFlags() { return {FLAGS_d_model, FLAGS_heads, FLAGS_layers, FLAGS_ff}; }

absl::StatusOr<model::HeadPatterns> PatternsFromFlags(const ModelSize& size) {
  if (FLAGS_patterns.empty()) return model::HeadPatterns();
  absl::StatusOr<model::HeadPatterns> patterns =
      model::ReadPatternFile(runtime::ResolvePath(FLAGS_patterns), size.layers, size.heads);
  if (!patterns.ok()) return runtime::InputError(patterns.status());
  return patterns;
}

}  // namespace attn::tools
