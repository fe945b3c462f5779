// Samples bytes from a checkpoint after a prompt and writes them to stdout.
#include <cstdio>
#include <string>

#include "gflags/gflags.h"
#include "lib/generate/sampler.h"
#include "lib/io/atomic_file.h"
#include "lib/model/checkpoint.h"
#include "lib/runtime/tool.h"
#include "lib/runtime/torch_runtime.h"

DEFINE_string(checkpoint, "", "model checkpoint (safetensors) from train_dense or train_sparse");
DEFINE_string(prompt, "", "text to continue");
DEFINE_string(prompt_file, "", "file whose bytes are the prompt ('-' = stdin); instead of --prompt");
DEFINE_int64(max_bytes, 500, "bytes to generate");
DEFINE_double(temperature, 1.0, "softmax temperature; 0 = always the most likely byte");
DEFINE_int64(top_k, 0, "sample from the k most likely bytes only (0 = all)");
DEFINE_double(top_p, 1.0, "sample from the most likely bytes whose probability reaches p");
DEFINE_uint64(seed, 42, "random seed");

int main(int argc, char** argv) {
  using attn::runtime::Fail;
  attn::runtime::InitTorchTool(&argc, &argv,
                               "generate --checkpoint=MODEL.safetensors --prompt=TEXT "
                               "[--max_bytes=500 --temperature=1 --top_k=0 --top_p=1 --seed=42] > out.txt");
  if (FLAGS_checkpoint.empty()) return attn::runtime::UsageError("--checkpoint is required");
  if (!FLAGS_prompt.empty() && !FLAGS_prompt_file.empty()) {
    return attn::runtime::UsageError("give --prompt or --prompt_file, not both");
  }
  std::string prompt = FLAGS_prompt;
  if (!FLAGS_prompt_file.empty()) {
    absl::StatusOr<std::string> text = attn::io::ReadFile(attn::runtime::ResolvePath(FLAGS_prompt_file));
    if (!text.ok()) return Fail(text.status());
    prompt = *text;
  }
  absl::StatusOr<attn::model::LoadedCheckpoint> loaded =
      attn::model::LoadCheckpoint(attn::runtime::ResolvePath(FLAGS_checkpoint));
  if (!loaded.ok()) return Fail(loaded.status());
  attn::generate::SamplingOptions options;
  options.temperature = FLAGS_temperature;
  options.top_k = FLAGS_top_k;
  options.top_p = FLAGS_top_p;
  options.max_bytes = FLAGS_max_bytes;
  options.seed = FLAGS_seed;
  // The window the model was trained on, when the checkpoint records it.
  if (auto it = loaded->metadata.find("seq_len"); it != loaded->metadata.end()) {
    options.context = std::stoll(it->second);
  }
  absl::Status status = attn::generate::Generate(*loaded->model, prompt, options, [](char c) {
    if (std::fputc(c, stdout) == EOF) return absl::UnavailableError("cannot write to stdout");
    return absl::OkStatus();
  });
  if (!status.ok()) return Fail(status);
  if (std::fflush(stdout) != 0) return Fail(absl::UnavailableError("cannot write to stdout"));
  return attn::runtime::kExitOk;
}
