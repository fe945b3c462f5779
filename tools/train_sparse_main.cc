// train_sparse: trains the sparse byte-level transformer (docs/design.md, "The models").
//   train_sparse --train=data/enwik8.train.u8 --valid=data/enwik8.valid.u8 --output=models/sparse.safetensors
// The sparse model has no stochastic depth or activation dropout, and its attention
// dropout is --dropout: train_sparse has no flags for them.
#include "absl/status/statusor.h"
#include "gflags/gflags.h"
#include "lib/model/sparse_model.h"
#include "lib/runtime/option_checks.h"
#include "lib/runtime/option_names.h"
#include "lib/runtime/tool.h"
#include "lib/train/train_command.h"
#include "tools/torch_main.h"
#include "tools/train_flags.h"

// The original's values (docs/design.md): both at 0 make a run without randomness.
DEFINE_double(dropout, 0.05, "residual, feed-forward and attention-probability dropout");
DEFINE_double(token_dropout, 0.02, "training: a position's embedding is zeroed with this probability");
DEFINE_double(embedding_std, 1.0, "standard deviation of the token embedding's initialisation; 1 is the "
              "original's N(0, 1), which (scaled by sqrt(d_model), tied to the output) starts near 2000 "
              "bits per byte and needs many steps; 0.02, as the dense model, learns far sooner");
DEFINE_string(mask_subset, "", "ablation: keep only these patterns (e.g. '03'), freed heads round-robin over them");
DEFINE_string(head_patterns, "", "explicit pattern per head, e.g. '0,3,3,1,1,1,2,2' (for head counts "
              "without a default assignment)");
DEFINE_string(attention, "kernel", "kernel (computes only the allowed pairs) or masked (dense scores under a mask)");

namespace {

constexpr char kUsage[] =
    "Trains the sparse byte-level transformer (the original's SparseByteTransformer).\n"
    "  train_sparse --train=TRAIN.u8 --valid=VALID.u8 --output=MODEL.safetensors [--mask_subset=03] "
    "[--preset=paper]\n"
    "Example: train_sparse --train=data/enwik8.train.u8 --valid=data/enwik8.valid.u8 "
    "--output=models/sparse.safetensors --max_steps=2000";

// The model the flags describe: the one place train_sparse builds its config.
absl::StatusOr<attn::model::SparseConfig> SparseConfigFromFlags(int64_t seq_len) {
  for (const auto& [name, value] :
       {std::pair<const char*, double>{"dropout", FLAGS_dropout}, {"token_dropout", FLAGS_token_dropout}}) {
    if (absl::Status s = attn::runtime::CheckNumber(name, value, attn::runtime::kProbability); !s.ok()) return s;
  }
  if (absl::Status s = attn::runtime::CheckNumber("embedding_std", FLAGS_embedding_std, attn::runtime::kPositive);
      !s.ok()) {
    return s;
  }
  if (FLAGS_attention != "kernel" && FLAGS_attention != "masked") {
    return absl::InvalidArgumentError(
        attn::runtime::Opt("attention") + "=" + FLAGS_attention + " is not known; use kernel or masked");
  }
  const attn::tools::ModelSize size = attn::tools::ModelSizeFromFlags();
  attn::model::SparseConfig config;
  config.d_model = size.d_model;
  config.heads = size.heads;
  config.layers = size.layers;
  config.ff = size.ff;
  absl::StatusOr<attn::model::HeadPatterns> patterns = attn::tools::PatternsFromFlags(size);
  if (!patterns.ok()) return patterns.status();
  config.patterns = *std::move(patterns);
  config.max_len = seq_len;  // the positional table is exactly one window
  config.dropout = FLAGS_dropout;
  config.token_dropout = FLAGS_token_dropout;
  config.embedding_std = FLAGS_embedding_std;
  config.mask_subset = FLAGS_mask_subset;
  config.head_patterns = FLAGS_head_patterns;
  config.attention = FLAGS_attention == "masked" ? attn::model::SparseAttentionImpl::kMasked
                                                 : attn::model::SparseAttentionImpl::kKernel;
  return config;
}

absl::Status Run() {
  absl::StatusOr<attn::train::TrainOptions> options = attn::tools::TrainOptionsFromFlags();
  if (!options.ok()) return options.status();
  absl::StatusOr<attn::model::SparseConfig> config = SparseConfigFromFlags(options->spec.seq_len);
  if (!config.ok()) return config.status();
  options->make_model = [config = *config] { return attn::model::MakeSparseModel(config); };
  return attn::train::RunTrain(*options);
}

}  // namespace

int main(int argc, char** argv) {
  attn::tools::InitTorchMain(&argc, &argv, kUsage);
  return attn::runtime::RunCommand(Run);
}
