// train_dense: trains the dense byte-level transformer (docs/design.md, "The models").
//   train_dense --train=data/enwik8.train.u8 --valid=data/enwik8.valid.u8 --output=models/dense.safetensors
#include "absl/status/statusor.h"
#include "gflags/gflags.h"
#include "lib/model/dense_model.h"
#include "lib/runtime/option_checks.h"
#include "lib/runtime/tool.h"
#include "lib/train/train_command.h"
#include "tools/torch_main.h"
#include "tools/train_flags.h"

// The original's values (docs/design.md): all at 0 make a run without randomness.
DEFINE_double(dropout, 0.1, "residual and feed-forward dropout (layer i: min(p (1 + 0.1 i), 0.5))");
DEFINE_double(attention_dropout, 0.1, "dropout of the attention probabilities (layer i: min(p (1 + 0.05 i), 0.4))");
DEFINE_double(activation_dropout, 0.1, "dropout after the feed-forward activation");
DEFINE_double(token_dropout, 0.05, "training: each input byte becomes 0 with this probability");
DEFINE_double(stochastic_depth, 0.1, "training: block i > 0 is skipped with probability this * i / layers");
DEFINE_bool(gradient_checkpointing, false, "recompute each block in the backward pass (less memory, "
            "about a third more compute), as the original did");

namespace {

constexpr char kUsage[] =
    "Trains the dense byte-level transformer (the original's EnhancedCharTransformer).\n"
    "  train_dense --train=TRAIN.u8 --valid=VALID.u8 --output=MODEL.safetensors [--preset=paper]\n"
    "Example: train_dense --train=data/enwik8.train.u8 --valid=data/enwik8.valid.u8 "
    "--output=models/dense.safetensors --max_steps=2000";

// The model the flags describe: the one place train_dense builds its config.
absl::StatusOr<attn::model::DenseConfig> DenseConfigFromFlags() {
  for (const auto& [name, value] :
       {std::pair<const char*, double>{"dropout", FLAGS_dropout}, {"attention_dropout", FLAGS_attention_dropout},
        {"activation_dropout", FLAGS_activation_dropout}, {"token_dropout", FLAGS_token_dropout},
        {"stochastic_depth", FLAGS_stochastic_depth}}) {
    if (absl::Status s = attn::runtime::CheckNumber(name, value, attn::runtime::kProbability); !s.ok()) return s;
  }
  const attn::tools::ModelSize size = attn::tools::ModelSizeFromFlags();
  attn::model::DenseConfig config;
  config.d_model = size.d_model;
  config.heads = size.heads;
  config.layers = size.layers;
  config.ff = size.ff;
  absl::StatusOr<attn::model::HeadPatterns> patterns = attn::tools::PatternsFromFlags(size);
  if (!patterns.ok()) return patterns.status();
  config.patterns = *std::move(patterns);
  config.dropout = FLAGS_dropout;
  config.attention_dropout = FLAGS_attention_dropout;
  config.activation_dropout = FLAGS_activation_dropout;
  config.token_dropout = FLAGS_token_dropout;
  config.stochastic_depth = FLAGS_stochastic_depth;
  config.gradient_checkpointing = FLAGS_gradient_checkpointing;
  return config;
}

absl::Status Run() {
  absl::StatusOr<attn::train::TrainOptions> options = attn::tools::TrainOptionsFromFlags();
  if (!options.ok()) return options.status();
  absl::StatusOr<attn::model::DenseConfig> config = DenseConfigFromFlags();
  if (!config.ok()) return config.status();
  options->make_model = [config = *config] { return attn::model::MakeDenseModel(config); };
  return attn::train::RunTrain(*options);
}

}  // namespace

int main(int argc, char** argv) {
  attn::tools::InitTorchMain(&argc, &argv, kUsage);
  return attn::runtime::RunCommand(Run);
}
