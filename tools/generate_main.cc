// generate: samples bytes from a checkpoint after a prompt and writes them to stdout.
//   generate --checkpoint=models/dense.safetensors --prompt="The " --max_bytes=200
#include "gflags/gflags.h"
#include "lib/generate/generate_command.h"
#include "lib/runtime/tool.h"
#include "tools/device_flag.h"
#include "tools/torch_main.h"

DEFINE_string(checkpoint, "", "model checkpoint (safetensors) from train_dense or train_sparse");
DEFINE_string(prompt, "", "text to continue");
DEFINE_string(prompt_file, "", "file whose bytes are the prompt ('-' = stdin); instead of --prompt");
DEFINE_int64(max_bytes, 500, "bytes to generate");
DEFINE_double(temperature, 1.0, "softmax temperature; 0 = always the most likely byte");
DEFINE_int64(top_k, 0, "sample from the k most likely bytes only (0 = all)");
DEFINE_double(top_p, 1.0, "sample from the most likely bytes whose probability reaches p");
DEFINE_uint64(seed, 42, "random seed");
DEFINE_int64(slide, 0,
             "when the context fills the checkpoint's seq_len, drop this many of its oldest bytes "
             "(0 = half of seq_len: each byte sees seq_len/2 to seq_len bytes, in linear time; "
             "1 = always the last seq_len bytes, a full window's forward per byte)");

int main(int argc, char** argv) {
  // One thread by default: more cost the re-exec that sets their wait policy, a second
  // LibTorch start-up (about 0.5 s), which only a large model's decoder repays (it splits
  // products of more than 2^18 multiply-adds over the threads; lib/model/decoder.cc).
  gflags::SetCommandLineOptionWithMode("threads", "1", gflags::SET_FLAGS_DEFAULT);
  attn::tools::InitTorchMain(&argc, &argv,
                             "Samples bytes after a prompt from a checkpoint of either model.\n"
                             "  generate --checkpoint=MODEL.safetensors --prompt=TEXT "
                             "[--max_bytes=500 --temperature=1 --top_k=0 --top_p=1 --seed=42 --slide=0 --device=cpu] > out.txt\n"
                             "Example: generate --checkpoint=models/dense.safetensors --prompt='The ' "
                             "--max_bytes=200");
  attn::generate::GenerateOptions options;
  options.checkpoint = attn::runtime::ResolvePath(FLAGS_checkpoint);
  options.prompt = FLAGS_prompt;
  options.prompt_file = attn::runtime::ResolvePath(FLAGS_prompt_file);
  options.sampling.max_bytes = FLAGS_max_bytes;
  options.sampling.temperature = FLAGS_temperature;
  options.sampling.top_k = FLAGS_top_k;
  options.sampling.top_p = FLAGS_top_p;
  options.sampling.seed = FLAGS_seed;
  options.sampling.slide = FLAGS_slide;
  options.device = FLAGS_device;
  return attn::runtime::RunCommand([&] { return attn::generate::RunGenerate(options); });
}
