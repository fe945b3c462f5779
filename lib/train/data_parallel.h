// Data-parallel training: wires a dist::Communicator (lib/dist, which knows nothing of
// training) into the training loop's hooks.
#ifndef ATTN_LIB_TRAIN_DATA_PARALLEL_H_
#define ATTN_LIB_TRAIN_DATA_PARALLEL_H_

#include "absl/status/status.h"
#include "lib/dist/communicator.h"
#include "lib/model/language_model.h"
#include "lib/train/trainer.h"
#include "torch/torch.h"

namespace attn::train {

// Copies rank 0's weights into `model` (all ranks start alike; a resumed run then loads
// the same state on every rank) and sets, for this rank of the job: `ranks`; a CUDA
// `device` to this rank's GPU; hooks->after_gradients, which averages the gradients over
// the ranks (bucketed all-reduce) before clipping and the optimizer step, then runs the
// hook it replaces; hooks->sum_across_ranks and gather_across_ranks; and keeps
// hooks->save_checkpoint on rank 0 only. `comm` must outlive the training.
absl::Status ConfigureDataParallel(dist::Communicator& comm, model::LanguageModel& model,
                                   torch::Device* device, RankInfo* ranks, TrainHooks* hooks);

}  // namespace attn::train

#endif  // ATTN_LIB_TRAIN_DATA_PARALLEL_H_
