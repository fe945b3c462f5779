// Wires a Communicator into the training loop (lib/train): the data-parallel recipe of
// train_dense and train_sparse.
#ifndef ATTN_LIB_DIST_DATA_PARALLEL_H_
#define ATTN_LIB_DIST_DATA_PARALLEL_H_

#include "absl/status/status.h"
#include "lib/dist/communicator.h"
#include "lib/model/language_model.h"
#include "lib/train/trainer.h"

namespace attn::dist {

// Copies rank 0's weights into `model` (all ranks start alike; a resumed run then loads
// the same state on every rank) and sets, for this rank of the job:
// options->rank and world_size (each rank trains on its share of the batch streams);
// hooks->after_gradients, which averages the gradients over the ranks (bucketed
// all-reduce) before clipping and the optimizer step, then runs the hook it replaces;
// hooks->sum_across_ranks (validation and training loss, random states); and keeps
// hooks->save_checkpoint on rank 0 only. `comm` must outlive the training.
absl::Status ConfigureDataParallel(Communicator& comm, model::LanguageModel& model,
                                   train::TrainOptions* options, train::TrainHooks* hooks);

}  // namespace attn::dist

#endif  // ATTN_LIB_DIST_DATA_PARALLEL_H_
