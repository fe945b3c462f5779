// head_importance: what each attention head of a checkpoint is worth on a token file, as
// Michel et al. (2019) measure it: the bits per byte lost when the head alone is zeroed,
// and |d bpc / d mask| at mask 1. CSV rows joinable with head_metrics' layer,head.
//   head_importance --checkpoint=models/dense.safetensors --tokens=data/enwik8.valid.u8 --output=importance.csv
#include "gflags/gflags.h"
#include "lib/eval/head_importance_command.h"
#include "lib/runtime/tool.h"
#include "tools/torch_main.h"

DEFINE_string(checkpoint, "", "dense or sparse checkpoint (.safetensors)");
DEFINE_string(tokens, "", "token file (.u8, one byte per token); '-' is stdin");
DEFINE_string(output, "-", "CSV layer,head,ablation_bpc,ablation_delta_bpc,grad_importance; '-' is stdout");
DEFINE_int64(seq_len, 0, "window length in bytes; 0: the length the checkpoint was trained on");
DEFINE_int64(batches, 4, "at most this many batches of consecutive windows from the start; 0: the whole file");
DEFINE_int64(batch_size, 8, "windows per forward pass");
DEFINE_string(device, "cpu", "cpu or cuda");

int main(int argc, char** argv) {
  attn::tools::InitTorchMain(
      &argc, &argv,
      "Per head: bits per byte with that head's output zeroed, its increase over the unmasked model, and the "
      "mean |d bpc / d mask| at mask 1.\n"
      "  head_importance --checkpoint=FILE --tokens=FILE [--seq_len=N] [--batches=4] [--batch_size=8] "
      "[--output=-]\n"
      "Example: head_importance --checkpoint=models/dense.safetensors --tokens=data/enwik8.valid.u8 "
      "--output=importance.csv");
  attn::eval::HeadImportanceOptions options;
  options.checkpoint = attn::runtime::ResolvePath(FLAGS_checkpoint);
  options.tokens = attn::runtime::ResolvePath(FLAGS_tokens);
  options.output = attn::runtime::ResolvePath(FLAGS_output);
  options.seq_len = FLAGS_seq_len;
  options.batches = FLAGS_batches;
  options.batch_size = FLAGS_batch_size;
  options.device = FLAGS_device;
  return attn::runtime::RunCommand([&] { return attn::eval::RunHeadImportance(options); });
}
