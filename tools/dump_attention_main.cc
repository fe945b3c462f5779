// dump_attention: the per-head attention probabilities of a checkpoint on a token file.
//   dump_attention --checkpoint=models/dense.safetensors --tokens=data/enwik8.valid.u8 --num_seqs=10 > dense.attn
#include "gflags/gflags.h"
#include "lib/model/dump_attention_command.h"
#include "lib/runtime/tool.h"
#include "tools/device_flag.h"
#include "tools/torch_main.h"

DEFINE_string(checkpoint, "", "dense or sparse checkpoint (.safetensors)");
DEFINE_string(tokens, "", "token file (.u8, one byte per token)");
DEFINE_string(output, "-", "attention stream (.npy records [layers, heads, L, L]); '-' is stdout");
DEFINE_int64(num_seqs, 10, "number of consecutive windows to dump");
DEFINE_int64(seq_len, 0, "window length in bytes; 0: the length the checkpoint was trained on");
DEFINE_int64(offset, 0, "byte offset of the first window");
DEFINE_string(layers, "", "comma-separated layer indices to keep (default: all)");
DEFINE_string(heads, "", "comma-separated head indices to keep (default: all)");

int main(int argc, char** argv) {
  attn::tools::InitTorchMain(
      &argc, &argv,
      "Writes each window's per-head attention probabilities as one .npy record.\n"
      "  dump_attention --checkpoint=FILE --tokens=FILE [--num_seqs=10] [--seq_len=N] "
      "[--offset=0] [--layers=0,1] [--heads=0,5] [--device=cpu] [--output=-]\n"
      "Example: dump_attention --checkpoint=models/dense.safetensors "
      "--tokens=data/enwik8.valid.u8 --num_seqs=10 | head_metrics > metrics.csv");
  attn::model::DumpAttentionOptions options;
  options.checkpoint = attn::runtime::ResolvePath(FLAGS_checkpoint);
  options.tokens = attn::runtime::ResolvePath(FLAGS_tokens);
  options.output = attn::runtime::ResolvePath(FLAGS_output);
  options.num_seqs = FLAGS_num_seqs;
  options.seq_len = FLAGS_seq_len;
  options.offset = FLAGS_offset;
  options.layers = FLAGS_layers;
  options.heads = FLAGS_heads;
  options.device = FLAGS_device;
  return attn::runtime::RunCommand([&] { return attn::model::RunDumpAttention(options); });
}
