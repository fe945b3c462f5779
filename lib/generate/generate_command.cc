#include "lib/generate/generate_command.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "lib/io/atomic_file.h"
#include "lib/model/checkpoint.h"
#include "lib/runtime/device.h"
#include "lib/runtime/option_names.h"
#include "lib/runtime/tool.h"

namespace attn::generate {
namespace {

bool IsRegularFile(FILE* f) {
  struct stat st;
  return fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
}

absl::Status WriteError() {
  if (errno == EPIPE) return absl::CancelledError("the reader of the output went away");
  return absl::UnavailableError(absl::StrCat("cannot write the output: ", std::strerror(errno)));
}

}  // namespace

absl::Status RunGenerate(const GenerateOptions& options) {
  using runtime::Opt;
  if (options.checkpoint.empty()) return absl::InvalidArgumentError(Opt("checkpoint") + " is required");
  if (!options.prompt.empty() && !options.prompt_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("give ", Opt("prompt"), " or ", Opt("prompt_file"), ", not both"));
  }
  if (absl::Status s = options.sampling.Validate(); !s.ok()) return s;
  absl::StatusOr<torch::Device> device = runtime::ParseDevice(options.device);
  if (!device.ok()) return device.status();
  std::string prompt = options.prompt;
  if (!options.prompt_file.empty()) {
    absl::StatusOr<std::string> text = io::ReadFile(options.prompt_file);
    if (!text.ok()) return runtime::InputError(text.status());
    if (text->empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          options.prompt_file == "-" ? "stdin" : options.prompt_file, " is empty; the prompt needs a byte at least"));
    }
    prompt = *std::move(text);
  }
  absl::StatusOr<model::LoadedCheckpoint> loaded = model::LoadCheckpoint(options.checkpoint);
  if (!loaded.ok()) return runtime::InputError(loaded.status());
  loaded->model->to(*device);
  SamplingOptions sampling = options.sampling;
  sampling.context = loaded->training.seq_len;  // 0 (not recorded): the model's table

  FILE* out = options.out;
  const bool flush_each = !IsRegularFile(out);
  absl::Status status = Generate(*loaded->model, prompt, sampling, [&](char c) {
    if (std::fputc(c, out) == EOF || (flush_each && std::fflush(out) != 0)) return WriteError();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (std::fflush(out) != 0) return WriteError();
  return absl::OkStatus();
}

}  // namespace attn::generate
