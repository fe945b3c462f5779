// The resume state (OUTPUT.state): everything a stopped run needs to continue exactly as
// if it had not stopped, as a versioned record of named fields, so that adding a field
// shifts nothing and an old or foreign file is refused with one clear line.
#ifndef ATTN_LIB_TRAIN_RESUME_STATE_H_
#define ATTN_LIB_TRAIN_RESUME_STATE_H_

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lib/model/language_model.h"
#include "torch/torch.h"

namespace attn::train {

// Version 1 (before named fields) is refused; 2 is this format.
inline constexpr int64_t kResumeStateVersion = 2;

// Where a run stands between optimizer steps.
struct RunPosition {
  int64_t step = 0;        // optimizer steps done
  int64_t epoch = 0;       // current epoch, 0-based
  int64_t next_batch = 0;  // next training batch of the current epoch
  double best_valid_loss = std::numeric_limits<double>::infinity();
  int64_t best_step = 0;
  int64_t evals_since_best = 0;
  int64_t tokens = 0;    // training tokens consumed by all ranks
  double elapsed_s = 0;  // training time of all runs of this job so far
  bool finished = false;
  bool early_stopped = false;
};

// What a run must share with the run it continues.
struct RunIdentity {
  std::string model_kind;                          // "dense", "sparse"
  std::map<std::string, std::string> model_config;  // LanguageModel::ConfigMetadata()
  std::map<std::string, std::string> recipe;        // TrainSpec::Recipe()
  int world_size = 1;  // each rank's data share and random stream depend on it
  // Dropout on a GPU draws from the device's generator, not the CPU's: a run continues
  // exactly only on the kind of device it started on.
  torch::Device device = torch::kCPU;
};

// Every rank's random generator states, in rank order: the CPU generator's, and the CUDA
// generator's when the run computes on a GPU (else empty).
struct RandomStates {
  std::vector<torch::Tensor> cpu, cuda;
};

// This process's generator states for a run on `device` (one entry in each used list).
RandomStates ThisProcessRandomStates(const torch::Device& device);

// "`max_steps` is 2000 in the saved run, 800 now; ..." for every key whose value differs
// (names marked as options); "" when none does.
std::string DescribeDifferences(const std::map<std::string, std::string>& saved,
                                const std::map<std::string, std::string>& now);

// Writes the state atomically. A run on a GPU also records its device and the CUDA
// generator states (optional fields: a CPU run's state has neither).
absl::Status SaveResumeState(const std::string& path, const RunIdentity& identity,
                             const RunPosition& position, model::LanguageModel& model,
                             torch::optim::AdamW& optimizer,
                             const std::vector<torch::Tensor>& best_weights,
                             const RandomStates& random_states);

// Checks that the saved run is `identity` (else FailedPrecondition, one line naming what
// differs), then restores the model's weights, the optimizer, this rank's random
// generators (CPU, and CUDA on a GPU), the best weights and the position. A missing file is NotFound; a corrupt,
// truncated, old or foreign one DataLoss.
absl::Status LoadResumeState(const std::string& path, const RunIdentity& identity, int rank,
                             model::LanguageModel& model, torch::optim::AdamW& optimizer,
                             std::vector<torch::Tensor>* best_weights, RunPosition* position);

}  // namespace attn::train

#endif  // ATTN_LIB_TRAIN_RESUME_STATE_H_
