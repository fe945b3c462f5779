// Data-parallel collectives over LibTorch's c10d: a TCPStore rendezvous hosted by rank 0,
// then a Gloo process group (CPU) or, in a LibTorch built with CUDA, an NCCL one.
// Every failure (a rank that never arrives, dies or stalls past --dist_timeout_s, a port
// in use) comes back as a Status with one clear line; nothing hangs.
#ifndef ATTN_LIB_DIST_COMMUNICATOR_H_
#define ATTN_LIB_DIST_COMMUNICATOR_H_

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/dist/bucket_plan.h"
#include "lib/dist/dist_config.h"
#include "torch/torch.h"

namespace attn::dist {

class Communicator {
 public:
  // Joins the job: rank 0 serves the rendezvous on master_port, every rank waits until
  // all world_size ranks have arrived (at most timeout_s). A world of one needs no
  // network and makes every collective a no-op.
  static absl::StatusOr<std::unique_ptr<Communicator>> Connect(const DistConfig& config);
  ~Communicator();

  int rank() const { return config_.rank; }
  int world_size() const { return config_.world_size; }
  int local_rank() const { return config_.local_rank; }
  // Rank 0 alone writes checkpoints, logs and progress.
  bool is_main() const { return config_.rank == 0; }

  // Copies rank 0's parameters and buffers into every rank's module, so that all ranks
  // start from the same weights. Fails when the ranks' modules differ in shape.
  absl::Status BroadcastModule(torch::nn::Module& module);

  // Replaces each parameter's gradient by its mean over the ranks: gradients are
  // flattened into buckets of about bucket_bytes, one all-reduce per bucket. A parameter
  // without a gradient (unused in this rank's step) counts as zeros and gets the mean;
  // one that no rank used keeps no gradient.
  absl::Status AverageGradients(const std::vector<torch::Tensor>& parameters,
                                int64_t bucket_bytes = kDefaultBucketBytes);

  // Sums each value over the ranks, in place (e.g. validation loss sum and token count).
  absl::Status SumAcrossRanks(std::vector<double>* values);

  // Every rank's `tensor` (the same shape and type on all ranks), in rank order, on every
  // rank: element r is rank r's. A world of one gives {tensor}.
  absl::StatusOr<std::vector<torch::Tensor>> AllGather(const torch::Tensor& tensor);

  // Total wall time spent in AverageGradients so far, in seconds.
  double gradient_seconds() const { return gradient_seconds_; }

 private:
  struct Group;
  Communicator(const DistConfig& config, std::unique_ptr<Group> group);
  absl::Status Failure(const char* operation, const std::exception& error) const;

  DistConfig config_;
  std::unique_ptr<Group> group_;  // null in a world of one
  double gradient_seconds_ = 0;
};

}  // namespace attn::dist

#endif  // ATTN_LIB_DIST_COMMUNICATOR_H_
