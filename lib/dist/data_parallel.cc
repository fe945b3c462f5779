#include "lib/dist/data_parallel.h"

#include <utility>
#include <vector>

#include "lib/train/optimizer.h"

namespace attn::dist {

absl::Status ConfigureDataParallel(Communicator& comm, model::LanguageModel& model,
                                   train::TrainOptions* options, train::TrainHooks* hooks) {
  options->rank = comm.rank();
  options->world_size = comm.world_size();
  // One GPU per rank on a machine.
  if (options->device.is_cuda()) options->device = torch::Device(torch::kCUDA, comm.local_rank());
  if (!comm.is_main()) hooks->save_checkpoint = nullptr;
  if (comm.world_size() == 1) return absl::OkStatus();
  if (absl::Status s = comm.BroadcastModule(model); !s.ok()) return s;
  // Tied weights once: averaging a shared tensor twice would halve its gradient.
  std::vector<torch::Tensor> parameters = train::UniqueParameters(model);
  hooks->after_gradients = [&comm, parameters = std::move(parameters),
                            then = std::move(hooks->after_gradients)]() -> absl::Status {
    if (absl::Status s = comm.AverageGradients(parameters); !s.ok()) return s;
    return then ? then() : absl::OkStatus();
  };
  hooks->sum_across_ranks = [&comm](std::vector<double>* values) {
    return comm.SumAcrossRanks(values);
  };
  return absl::OkStatus();
}

}  // namespace attn::dist
