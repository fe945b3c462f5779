// The training loop of DESIGN.md section 5 on any LanguageModel: AdamW with decay groups,
// warmup + cosine schedule, gradient accumulation, clipping, periodic validation, early
// stopping, a deep copy of the best weights, the TSV log, progress, and an exact resume
// state (weights, optimizer moments, step, RNG, data position).
#ifndef ATTN_LIB_TRAIN_TRAINER_H_
#define ATTN_LIB_TRAIN_TRAINER_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/data/batches.h"
#include "lib/model/language_model.h"
#include "torch/torch.h"

namespace attn::train {

enum class Precision { kFp32, kBf16 };
// "fp32" or "bf16".
absl::StatusOr<Precision> ParsePrecision(const std::string& name);
// "cpu" or "cuda"; "cuda" is an error naming the cause when this LibTorch has no CUDA.
absl::StatusOr<torch::Device> ParseDevice(const std::string& name);

// Mixed precision for its scope: with kBf16, autocast runs matmuls in bfloat16 on the
// device (oneDNN on CPU); the weights and the optimizer state stay float32.
class AutocastScope {
 public:
  AutocastScope(Precision precision, torch::Device device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool cuda_ = false;
  bool was_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kFloat;
};

struct TrainOptions {
  std::string train_path, valid_path;
  std::string output_path;  // the best checkpoint
  std::string state_path;   // the resume state; "" means output_path + ".state"
  std::string log_path;     // the TSV log; "" logs nowhere
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
  int64_t log_every = 10;         // a train row in the log every this many steps
  int64_t checkpoint_every = 0;   // also write the resume state every this many steps
  int64_t stop_after = 0;  // end this run after this many steps (state saved), schedule unchanged
  Precision precision = Precision::kFp32;
  torch::Device device = torch::kCPU;
  bool resume = false;
  // Data parallel (lib/dist): this process is rank `rank` of `world_size`. It trains and
  // validates on streams [rank * B / W, (rank + 1) * B / W) of the batch_size streams, so
  // that the ranks together take the steps of one process with the whole batch. Only
  // rank 0 writes the checkpoint, the log, the resume state and progress.
  int rank = 0;
  int world_size = 1;

  // The settings a resumed run must share with the run it continues, as strings.
  std::map<std::string, std::string> Recipe() const;
};

struct TrainHooks {
  // Called once per optimizer step, after the gradients of all its micro-batches are
  // accumulated and before clipping: the seam for a data-parallel gradient all-reduce.
  std::function<absl::Status()> after_gradients;
  // Writes the best model to `path` (the tools pass model::SaveCheckpoint).
  std::function<absl::Status(const std::string& path, model::LanguageModel& model,
                             const std::map<std::string, std::string>& metadata)>
      save_checkpoint;
  // Data parallel: sums each value over the ranks, in place; every rank calls it at the
  // same points (validation and training loss, random states for the resume state).
  // Needed when world_size > 1.
  std::function<absl::Status(std::vector<double>* values)> sum_across_ranks;
};

struct TrainSummary {
  int64_t steps = 0;
  double epochs = 0;
  double best_valid_loss = std::numeric_limits<double>::infinity();
  int64_t best_step = 0;
  bool early_stopped = false;
  bool finished = false;  // false when --stop_after ended the run early
  double tokens_per_s = 0;
  double elapsed_s = 0;
  int64_t peak_rss_bytes = 0;
};
// One line: steps, best validation loss and bpc, tokens/s, peak resident memory.
std::string FormatSummary(const TrainSummary& summary);

// Peak resident memory of this process so far (getrusage).
int64_t PeakRssBytes();

// Mean cross-entropy (nats per token) over the first `max_batches` batches of `data`
// (0 = all), without dropout. The one place validation loss is computed, so that a
// data-parallel run can reduce it across ranks here.
double EvaluateLoss(model::LanguageModel& model, const data::BatchStream& data,
                    int64_t max_batches, Precision precision, torch::Device device);

// Forward and backward of one optimizer step's micro-batches, each loss scaled by
// 1 / micro_batches.size(), so the gradients add up to those of their mean loss (the
// caller zeroes them first). Returns that mean loss.
double AccumulateGradients(model::LanguageModel& model, const std::vector<data::Batch>& micro_batches,
                           Precision precision, torch::Device device);

// A deep copy of every parameter and buffer (DESIGN.md section 7: a shallow copy would
// follow later updates), and its restore.
std::vector<torch::Tensor> CopyWeights(model::LanguageModel& model);
void RestoreWeights(model::LanguageModel& model, const std::vector<torch::Tensor>& weights);

// Trains `model` (already initialised, or overwritten from the resume state when
// options.resume). On return the model holds the best weights validated.
absl::StatusOr<TrainSummary> Train(model::LanguageModel& model, const TrainOptions& options,
                                   const TrainHooks& hooks);

}  // namespace attn::train

#endif  // ATTN_LIB_TRAIN_TRAINER_H_
