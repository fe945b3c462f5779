// Everything a training run is given, validated once (TrainSpec::Validate): its files,
// the recipe (docs/design.md, "Training"; what a resumed run must share with
// the run it continues) and how this run goes (free to change between runs). Field names
// are the training tools' flag names.
#ifndef ATTN_LIB_TRAIN_TRAIN_SPEC_H_
#define ATTN_LIB_TRAIN_TRAIN_SPEC_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "lib/runtime/precision.h"
#include "torch/torch.h"

namespace attn::train {

struct TrainSpec {
  // Files.
  std::string train, valid;  // token files (.u8)
  std::string output;        // the best checkpoint; beside it OUTPUT.state and the log
  std::string log;           // the TSV log; "" means OUTPUT.log.tsv
  bool resume = false;       // continue the run saved in OUTPUT.state
  bool overwrite = false;    // replace a run already in OUTPUT

  // The recipe.
  int64_t seq_len = 128;
  int64_t batch_size = 16;
  int64_t grad_accum = 1;
  int64_t epochs = 1;
  int64_t max_steps = 0;  // optimizer steps; 0 = as many as the epochs give
  double lr = 1e-3;
  double min_lr = 1e-8;
  int64_t warmup_steps = 100;
  double weight_decay = 0.1;
  double clip_norm = 1.0;
  int64_t eval_every = 0;    // validate every this many steps too (0 = once per epoch only)
  int64_t eval_batches = 0;  // validation batches per validation (0 = the whole split)
  int64_t patience = 8;      // stop after this many validations without improvement (0 = never)
  uint64_t seed = 42;
  runtime::Precision precision = runtime::Precision::kFp32;

  // This run.
  int64_t log_every = 10;        // a train row in the log every this many steps
  int64_t checkpoint_every = 0;  // also write the resume state every this many steps
  int64_t stop_after = 0;  // end this run after this many steps in all (state saved)
  torch::Device device = torch::kCPU;
  // Logged once when training starts, e.g. what --precision=auto chose (AutoPrecisionNote).
  std::string precision_note;

  // Every field, once: InvalidArgument naming the option and what to give instead.
  absl::Status Validate() const;

  // The recipe as strings, for the resume state and the checkpoint's metadata.
  std::map<std::string, std::string> Recipe() const;
  std::string StatePath() const { return output + ".state"; }
  std::string LogPath() const { return log.empty() ? output + ".log.tsv" : log; }
};

}  // namespace attn::train

#endif  // ATTN_LIB_TRAIN_TRAIN_SPEC_H_
