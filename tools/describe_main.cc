// describe: what a checkpoint holds, without Python: kind, configuration, each head's
// attention pattern, parameter count, training state, other metadata and every tensor.
//   describe --checkpoint=models/sparse.safetensors
#include "gflags/gflags.h"
#include "lib/model/describe_command.h"
#include "lib/runtime/tool.h"
#include "tools/torch_main.h"

DEFINE_string(checkpoint, "", "model checkpoint (safetensors) from train_dense or train_sparse");
DEFINE_string(output, "-", "where the description goes; '-' is stdout");

int main(int argc, char** argv) {
  attn::tools::InitTorchMain(&argc, &argv, "describe --checkpoint=MODEL.safetensors [--output=-]\n"
                             "Prints a checkpoint's kind, configuration, patterns, parameters and training state.\n"
                             "Example: describe --checkpoint=out/demo/models/dense.safetensors");
  attn::model::DescribeOptions options;
  options.checkpoint = attn::runtime::ResolvePath(FLAGS_checkpoint);
  options.output = attn::runtime::ResolvePath(FLAGS_output);
  return attn::runtime::RunCommand([&] { return attn::model::RunDescribe(options); });
}
