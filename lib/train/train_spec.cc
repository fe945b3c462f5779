#include "lib/train/train_spec.h"

#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/runtime/option_checks.h"
#include "lib/runtime/option_names.h"

namespace attn::train {

absl::Status TrainSpec::Validate() const {
  using runtime::Opt;
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string*>{"train", &train}, {"valid", &valid}, {"output", &output}}) {
    if (value->empty()) return absl::InvalidArgumentError(absl::StrCat(Opt(name), " is required"));
  }
  for (const auto& [name, value] : {std::pair<const char*, const std::string*>{"output", &output}, {"log", &log}}) {
    if (*value == "-") {
      return absl::InvalidArgumentError(absl::StrCat(
          Opt(name), "=- is not allowed: a run writes its checkpoint, resume state and log "
          "as files; give a file name"));
    }
  }
  if (resume && overwrite) {
    return absl::InvalidArgumentError(absl::StrCat(
        "give ", Opt("resume"), " (continue the saved run) or ", Opt("overwrite"),
        " (start afresh over it), not both"));
  }
  for (const auto& [name, value] :
       {std::pair<const char*, int64_t>{"seq_len", seq_len}, {"batch_size", batch_size},
        {"grad_accum", grad_accum}, {"epochs", epochs}, {"log_every", log_every}}) {
    if (absl::Status s = runtime::CheckInteger(name, value, 1); !s.ok()) return s;
  }
  for (const auto& [name, value] :
       {std::pair<const char*, int64_t>{"max_steps", max_steps}, {"warmup_steps", warmup_steps},
        {"eval_every", eval_every}, {"eval_batches", eval_batches}, {"patience", patience},
        {"checkpoint_every", checkpoint_every}, {"stop_after", stop_after}}) {
    if (absl::Status s = runtime::CheckInteger(name, value, 0); !s.ok()) return s;
  }
  for (const auto& [name, value, range] :
       {std::tuple<const char*, double, runtime::Range>{"lr", lr, runtime::kPositive},
        {"min_lr", min_lr, runtime::kNonNegative},
        {"weight_decay", weight_decay, runtime::kNonNegative},
        {"clip_norm", clip_norm, runtime::kPositive}}) {
    if (absl::Status s = runtime::CheckNumber(name, value, range); !s.ok()) return s;
  }
  if (min_lr > lr) {
    return absl::InvalidArgumentError(
        absl::StrCat(Opt("min_lr"), "=", min_lr, " is above ", Opt("lr"), "=", lr,
                     "; the floor of the decay must not exceed the peak"));
  }
  return absl::OkStatus();
}

std::map<std::string, std::string> TrainSpec::Recipe() const {
  return {{"seq_len", absl::StrCat(seq_len)},
          {"batch_size", absl::StrCat(batch_size)},
          {"grad_accum", absl::StrCat(grad_accum)},
          {"epochs", absl::StrCat(epochs)},
          {"max_steps", absl::StrCat(max_steps)},
          {"lr", absl::StrCat(lr)},
          {"min_lr", absl::StrCat(min_lr)},
          {"warmup_steps", absl::StrCat(warmup_steps)},
          {"weight_decay", absl::StrCat(weight_decay)},
          {"clip_norm", absl::StrCat(clip_norm)},
          {"eval_every", absl::StrCat(eval_every)},
          {"eval_batches", absl::StrCat(eval_batches)},
          {"patience", absl::StrCat(patience)},
          {"seed", absl::StrCat(seed)},
          {"precision", runtime::PrecisionName(precision)}};
}

}  // namespace attn::train
