// evaluate: a checkpoint's bits per byte on a token file (enwik8: test bpc on the last 5M
// bytes), optionally with a sliding window that gives every byte more context.
//   evaluate --checkpoint=models/dense.safetensors --tokens=data/enwik8.test.u8 --stride=512

#include "gflags/gflags.h"
#include "lib/eval/evaluate_command.h"
#include "lib/runtime/tool.h"
#include "tools/device_flag.h"
#include "tools/torch_main.h"

DEFINE_string(checkpoint, "", "dense or sparse checkpoint (.safetensors)");
DEFINE_string(tokens, "", "token file (.u8, one byte per token); '-' is stdin");
DEFINE_string(output, "", "also write the result as TSV here ('-' is stdout, instead of the summary line)");
DEFINE_int64(context, 0, "bytes of context at most; 0 = the checkpoint's training seq_len");
DEFINE_int64(stride, 0,
             "predictions scored per window; 0 = the context (non-overlapping windows); smaller gives every "
             "byte more context at context/stride times the cost");
DEFINE_string(precision, "auto", "auto (bf16 where the CPU computes bf16 natively, else fp32; logged), fp32, "
              "or bf16 (autocast)");
DEFINE_int64(batch_size, 8, "windows per forward pass");
DEFINE_int64(max_bytes, 0, "score only the first max_bytes bytes, for a quick estimate; 0 = all");

int main(int argc, char** argv) {
  attn::tools::InitTorchMain(&argc, &argv,
                             "evaluate --checkpoint=MODEL.safetensors --tokens=TEST.u8 [--context=N] [--stride=S] "
                             "[--precision=auto|fp32|bf16] [--batch_size=8] [--max_bytes=N] [--device=cpu] [--output=result.tsv]\n"
                             "Bits per byte over the file: every byte after the first predicted once, with up to "
                             "--context bytes of context.\n"
                             "Example: evaluate --checkpoint=models/dense.safetensors --tokens=data/enwik8.test.u8 "
                             "--context=1024 --stride=512");
  attn::eval::EvaluateOptions options;
  options.checkpoint = attn::runtime::ResolvePath(FLAGS_checkpoint);
  options.tokens = attn::runtime::ResolvePath(FLAGS_tokens);
  options.output = attn::runtime::ResolvePath(FLAGS_output);
  options.context = FLAGS_context;
  options.stride = FLAGS_stride;
  options.precision = FLAGS_precision;
  options.batch_size = FLAGS_batch_size;
  options.max_bytes = FLAGS_max_bytes;
  options.device = FLAGS_device;
  return attn::runtime::RunCommand([&] { return attn::eval::RunEvaluate(options); });
}