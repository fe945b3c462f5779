// import_checkpoint: a PyTorch checkpoint of the original's models (torch.save, zip or
// legacy format) as our checkpoint.
//   import_checkpoint --input=dense_model.pt --output=models/dense.safetensors

#include "gflags/gflags.h"
#include "lib/interop/import_checkpoint_command.h"
#include "lib/runtime/tool.h"
#include "tools/torch_main.h"

DEFINE_string(input, "", "PyTorch checkpoint (.pt): the original's training dict or a bare state_dict; '-' is stdin");
DEFINE_string(output, "", "checkpoint to write (.safetensors); '-' is stdout");
DEFINE_string(kind, "", "dense or sparse; empty infers it from the tensor names");
DEFINE_int64(heads, 0, "attention heads; 0 takes the saved config's nhead (a bare state_dict needs this flag)");
DEFINE_int64(seq_len, 0,
             "training window to record in the checkpoint; 0 takes the sparse config's seq_length, or the "
             "original's 1024 for the dense model");

int main(int argc, char** argv) {
  attn::tools::InitTorchMain(&argc, &argv,
                             "import_checkpoint --input=MODEL.pt --output=MODEL.safetensors [--kind=dense|sparse] "
                             "[--heads=N] [--seq_len=N]\n"
                             "Converts a torch.save checkpoint of the original's dense or sparse model.\n"
                             "Example: import_checkpoint --input=dense_model.pt --output=models/dense.safetensors");
  attn::interop::ImportCheckpointOptions options;
  options.input = attn::runtime::ResolvePath(FLAGS_input);
  options.output = attn::runtime::ResolvePath(FLAGS_output);
  options.kind = FLAGS_kind;
  options.heads = FLAGS_heads;
  options.seq_len = FLAGS_seq_len;
  return attn::runtime::RunCommand([&] { return attn::interop::RunImportCheckpoint(options); });
}