#include "lib/train/data_parallel.h"

#include <utility>
#include <vector>

#include "lib/train/optimizer.h"

namespace attn::train {

absl::Status ConfigureDataParallel(dist::Communicator& comm, model::LanguageModel& model,
                                   torch::Device* device, RankInfo* ranks, TrainHooks* hooks) {
  ranks->rank = comm.rank();
  ranks->world_size = comm.world_size();
  // One GPU per rank on a machine.
  if (device->is_cuda()) *device = torch::Device(torch::kCUDA, comm.local_rank());
  if (!comm.is_main()) hooks->save_checkpoint = nullptr;
  if (comm.world_size() == 1) return absl::OkStatus();
  if (absl::Status s = comm.BroadcastModule(model); !s.ok()) return s;
  // Tied weights once: averaging a shared tensor twice would halve its gradient.
  std::vector<torch::Tensor> parameters = UniqueParameters(model);
  hooks->after_gradients = [&comm, parameters = std::move(parameters),
                            then = std::move(hooks->after_gradients)]() -> absl::Status {
    if (absl::Status s = comm.AverageGradients(parameters); !s.ok()) return s;
    return then ? then() : absl::OkStatus();
  };
  hooks->sum_across_ranks = [&comm](std::vector<double>* values) {
    return comm.SumAcrossRanks(values);
  };
  hooks->gather_across_ranks = [&comm](const torch::Tensor& tensor) { return comm.AllGather(tensor); };
  return absl::OkStatus();
}

}  // namespace attn::train
