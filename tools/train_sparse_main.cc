// Trains the sparse byte-level transformer (DESIGN.md sections 4 and 5).
#include <string>

#include "gflags/gflags.h"
#include "lib/model/sparse_model.h"
#include "lib/runtime/tool.h"
#include "lib/runtime/torch_runtime.h"
#include "lib/train/train_tool.h"
#include "torch/torch.h"

DEFINE_string(mask_subset, "", "ablation: keep only these patterns (e.g. '03'), freed heads round-robin over them");
DEFINE_string(head_patterns, "", "explicit pattern per head, e.g. '0,3,3,1,1,1,2,2' (for head counts "
              "without a default assignment)");
DEFINE_string(attention, "kernel", "kernel (computes only the allowed pairs) or masked (dense scores under a mask)");

int main(int argc, char** argv) {
  // The sparse original's dropout is 0.05 (the dense one's 0.1).
  gflags::SetCommandLineOptionWithMode("dropout", "0.05", gflags::SET_FLAGS_DEFAULT);
  attn::runtime::InitTorchTool(
      &argc, &argv,
      "train_sparse --train=TRAIN.u8 --valid=VALID.u8 --output=MODEL.safetensors [--mask_subset=03] "
      "[--preset=paper] [--d_model --heads --layers --ff --seq_len --batch_size ... see --help]");
  absl::StatusOr<attn::train::TrainOptions> options = attn::train::TrainOptionsFromFlags();
  if (!options.ok()) return attn::runtime::Fail(options.status());
  if (FLAGS_attention != "kernel" && FLAGS_attention != "masked") {
    return attn::runtime::UsageError("--attention=" + FLAGS_attention + " is not known; use kernel or masked");
  }
  const attn::train::ModelSizeFlags size = attn::train::ModelSizeFromFlags();
  attn::model::SparseConfig config;
  config.d_model = size.d_model;
  config.heads = size.heads;
  config.layers = size.layers;
  config.ff = size.ff;
  config.max_len = options->seq_len;  // the positional table is exactly one window
  config.dropout = size.dropout;
  config.mask_subset = FLAGS_mask_subset;
  config.head_patterns = FLAGS_head_patterns;
  config.attention = FLAGS_attention == "masked" ? attn::model::SparseAttentionImpl::kMasked
                                                 : attn::model::SparseAttentionImpl::kKernel;
  torch::manual_seed(options->seed);
  absl::StatusOr<std::shared_ptr<attn::model::LanguageModel>> model =
      attn::model::MakeSparseModel(config);
  if (!model.ok()) return attn::runtime::Fail(model.status());
  return attn::train::RunTraining(**model, *options);
}
