// dump_attention: the per-head attention probabilities of a checkpoint on a token file.
//   dump_attention --checkpoint=models/dense.safetensors --tokens=data/enwik8.valid.u8 \
//       --num_seqs=10 --seq_len=1024 > dense.attn
#include <csignal>

#include "gflags/gflags.h"
#include "lib/model/attention_dump.h"
#include "lib/runtime/tool.h"
#include "lib/runtime/torch_runtime.h"

DEFINE_string(checkpoint, "", "dense or sparse checkpoint (.safetensors)");
DEFINE_string(tokens, "", "token file (.u8, one byte per token)");
DEFINE_string(output, "-", "attention stream (.npy records [layers, heads, L, L]); '-' is stdout");
DEFINE_int64(num_seqs, 10, "number of consecutive windows to dump");
DEFINE_int64(seq_len, 1024, "window length in bytes");
DEFINE_int64(offset, 0, "byte offset of the first window");
DEFINE_string(layers, "", "comma-separated layer indices to keep (default: all)");
DEFINE_string(heads, "", "comma-separated head indices to keep (default: all)");

int main(int argc, char** argv) {
  attn::runtime::InitTorchTool(
      &argc, &argv,
      "dump_attention --checkpoint=FILE --tokens=FILE [--num_seqs=10] [--seq_len=1024] "
      "[--offset=0] [--layers=0,1] [--heads=0,5] [--output=-]\n"
      "Writes each window's per-head attention probabilities as one .npy record.");
  if (FLAGS_checkpoint.empty()) return attn::runtime::UsageError("--checkpoint is required");
  if (FLAGS_tokens.empty()) return attn::runtime::UsageError("--tokens is required");
  // A reader that stops early (dump_attention | head -c 1000) ends the dump quietly.
  std::signal(SIGPIPE, SIG_IGN);
  attn::model::AttentionDumpOptions options;
  options.num_seqs = FLAGS_num_seqs;
  options.seq_len = FLAGS_seq_len;
  options.offset = FLAGS_offset;
  const absl::Status status = attn::model::RunDumpAttention(
      attn::runtime::ResolvePath(FLAGS_checkpoint), attn::runtime::ResolvePath(FLAGS_tokens),
      FLAGS_layers, FLAGS_heads, options, attn::runtime::ResolvePath(FLAGS_output));
  if (absl::IsCancelled(status)) return attn::runtime::kExitOk;
  return status.ok() ? attn::runtime::kExitOk : attn::runtime::Fail(status);
}
