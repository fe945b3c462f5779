// Trains the dense byte-level transformer (DESIGN.md sections 4 and 5).
#include "gflags/gflags.h"
#include "lib/model/dense_model.h"
#include "lib/runtime/tool.h"
#include "lib/runtime/torch_runtime.h"
#include "lib/train/train_tool.h"
#include "torch/torch.h"

DEFINE_bool(gradient_checkpointing, false, "recompute each block in the backward pass (less memory, "
            "about a third more compute), as the original did");

int main(int argc, char** argv) {
  attn::runtime::InitTorchTool(
      &argc, &argv,
      "train_dense --train=TRAIN.u8 --valid=VALID.u8 --output=MODEL.safetensors [--preset=paper] "
      "[--d_model --heads --layers --ff --seq_len --batch_size ... see --help]");
  absl::StatusOr<attn::train::TrainOptions> options = attn::train::TrainOptionsFromFlags();
  if (!options.ok()) return attn::runtime::Fail(options.status());
  const attn::train::ModelSizeFlags size = attn::train::ModelSizeFromFlags();
  attn::model::DenseConfig config;
  config.d_model = size.d_model;
  config.heads = size.heads;
  config.layers = size.layers;
  config.ff = size.ff;
  config.gradient_checkpointing = FLAGS_gradient_checkpointing;
  config.dropout = config.attention_dropout = config.activation_dropout = size.dropout;
  torch::manual_seed(options->seed);
  absl::StatusOr<std::shared_ptr<attn::model::LanguageModel>> model =
      attn::model::MakeDenseModel(config);
  if (!model.ok()) return attn::runtime::Fail(model.status());
  return attn::train::RunTraining(**model, *options);
}
