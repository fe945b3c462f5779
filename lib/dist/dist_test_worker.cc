// One rank of the multi-process tests (dist_multiprocess_test.cc, launch_local_test.sh):
// joins the job from the usual flags or environment, runs --scenario and checks the
// results against values computed here by hand. Exit 0 when all holds, else one line.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gflags/gflags.h"
#include "lib/dist/communicator.h"
#include "lib/dist/dist_config.h"
#include "tools/dist_flags.h"
#include "lib/runtime/tool.h"
#include "lib/runtime/torch_runtime.h"
#include "torch/torch.h"
#include "tools/torch_main.h"

DEFINE_string(scenario, "collectives",
              "collectives (all-reduce, buckets, broadcast, sum, gather) | models_differ | die | "
              "stall | hold");
DEFINE_string(pid_dir, "", "hold: write <pid_dir>/<rank>.pid before sleeping");

namespace attn::dist {
namespace {

absl::Status Check(bool ok, const std::string& what) {
  return ok ? absl::OkStatus() : absl::InternalError(absl::StrCat("check failed: ", what));
}

// Parameters with gradients that depend on the rank: grad of tensor i on rank r is
// (r + 1) * (i + 1) * [1, 2, 3, ...], so the mean over W ranks is
// (W + 1) / 2 * (i + 1) * [1, 2, 3, ...]. Rank 0 leaves tensor 3's gradient undefined
// (a parameter its step did not use), which must count as zeros; no rank has a
// gradient for tensor 4, which must keep none.
std::vector<torch::Tensor> RankGradients(int rank, const std::vector<std::vector<int64_t>>& shapes) {
  std::vector<torch::Tensor> parameters;
  for (size_t i = 0; i < shapes.size(); ++i) {
    torch::Tensor p = torch::zeros(shapes[i]).requires_grad_(true);
    if (!(rank == 0 && i == 3) && i != 4) {
      p.mutable_grad() = torch::arange(1, p.numel() + 1, torch::kFloat32).view(shapes[i]) *
                         static_cast<float>((rank + 1) * (i + 1));
    }
    parameters.push_back(p);
  }
  return parameters;
}

absl::Status AllReduceScenario(Communicator& comm) {
  const std::vector<std::vector<int64_t>> shapes = {{3, 4}, {5}, {2, 2, 2}, {7}, {6}};
  std::vector<torch::Tensor> parameters = RankGradients(comm.rank(), shapes);
  absl::Status status = comm.AverageGradients(parameters);
  if (!status.ok()) return status;
  const double w = comm.world_size();
  for (size_t i = 0; i < 4; ++i) {
    status = Check(parameters[i].grad().defined(), absl::StrCat("tensor ", i, " has a gradient"));
    if (!status.ok()) return status;
    torch::Tensor base = torch::arange(1, parameters[i].numel() + 1, torch::kFloat64).view(shapes[i]);
    // Tensor 3 is missing on rank 0: the sum over ranks 1..W-1 of (r+1) is
    // W(W+1)/2 - 1, divided by W.
    const double factor = i == 3 ? (w * (w + 1) / 2 - 1) / w * (i + 1) : (w + 1) / 2 * (i + 1);
    status = Check(torch::allclose(parameters[i].grad().to(torch::kFloat64), base * factor, 1e-6, 1e-6),
                   absl::StrCat("mean gradient of tensor ", i));
    if (!status.ok()) return status;
  }
  return Check(!parameters[4].grad().defined(), "a parameter no rank used keeps no gradient");
}

// Random gradients per rank (seeded by rank, so every rank can recompute all of them):
// bucketed with a small cap (several buckets, one tensor larger than a bucket), the
// default 25 MB cap (one bucket) and one tensor per bucket must all give the mean.
absl::Status BucketsScenario(Communicator& comm) {
  const std::vector<std::vector<int64_t>> shapes = {{64, 32}, {100}, {3000}, {17, 5}, {1}};
  auto make = [&](int rank) {
    torch::manual_seed(1000 + rank);
    std::vector<torch::Tensor> parameters;
    for (const auto& shape : shapes) {
      torch::Tensor p = torch::zeros(shape).requires_grad_(true);
      p.mutable_grad() = torch::randn(shape);
      parameters.push_back(p);
    }
    return parameters;
  };
  std::vector<torch::Tensor> expected;
  for (int r = 0; r < comm.world_size(); ++r) {
    std::vector<torch::Tensor> g = make(r);
    for (size_t i = 0; i < shapes.size(); ++i) {
      torch::Tensor v = g[i].grad().to(torch::kFloat64) / comm.world_size();
      if (r == 0) expected.push_back(v); else expected[i] += v;
    }
  }
  for (int64_t cap : {int64_t{4096}, kDefaultBucketBytes, int64_t{0}}) {
    std::vector<torch::Tensor> parameters = make(comm.rank());
    absl::Status status = comm.AverageGradients(parameters, cap);
    if (!status.ok()) return status;
    for (size_t i = 0; i < shapes.size(); ++i) {
      status = Check(torch::allclose(parameters[i].grad().to(torch::kFloat64), expected[i], 1e-5, 1e-6),
                     absl::StrCat("bucket cap ", cap, ": mean gradient of tensor ", i));
      if (!status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

// A module with parameters and buffers (BatchNorm's running statistics and its int64
// counter), initialised differently on every rank.
torch::nn::Sequential MakeModule(int rank, int64_t width) {
  torch::manual_seed(rank);
  torch::nn::Sequential module(torch::nn::Linear(4, width), torch::nn::BatchNorm1d(width),
                               torch::nn::Linear(width, 2));
  torch::NoGradGuard no_grad;
  for (auto& buffer : module->buffers()) buffer.fill_(rank + 1);
  return module;
}

absl::Status BroadcastScenario(Communicator& comm) {
  torch::nn::Sequential mine = MakeModule(comm.rank(), 8);
  torch::nn::Sequential rank0 = MakeModule(0, 8);
  absl::Status status = comm.BroadcastModule(*mine);
  if (!status.ok()) return status;
  auto a = mine->named_parameters(), b = rank0->named_parameters();
  for (const auto& item : a) {
    status = Check(torch::equal(item.value(), b[item.key()]), "parameter " + item.key());
    if (!status.ok()) return status;
  }
  auto ba = mine->named_buffers(), bb = rank0->named_buffers();
  for (const auto& item : ba) {
    status = Check(torch::equal(item.value(), bb[item.key()]), "buffer " + item.key());
    if (!status.ok()) return status;
  }
  return Check(mine->named_buffers()["1.num_batches_tracked"].item<int64_t>() == 1,
               "int64 buffer equals rank 0's value 1");
}

absl::Status SumScenario(Communicator& comm) {
  // Rank r: loss sum r + 0.5, token count 10 (r + 1).
  std::vector<double> values = {comm.rank() + 0.5, 10.0 * (comm.rank() + 1)};
  absl::Status status = comm.SumAcrossRanks(&values);
  if (!status.ok()) return status;
  const double w = comm.world_size();
  status = Check(std::abs(values[0] - (w * (w - 1) / 2 + 0.5 * w)) < 1e-12, "loss sum");
  if (!status.ok()) return status;
  return Check(std::abs(values[1] - 10 * w * (w + 1) / 2) < 1e-12, "token count");
}

// Rank r contributes [r, 10 r, 100 r] (int64) and [r + 0.5] (float): every rank gets all
// of them, in rank order.
absl::Status GatherScenario(Communicator& comm) {
  absl::StatusOr<std::vector<torch::Tensor>> ints =
      comm.AllGather(torch::tensor({int64_t{1}, int64_t{10}, int64_t{100}}) * comm.rank());
  if (!ints.ok()) return ints.status();
  absl::StatusOr<std::vector<torch::Tensor>> floats =
      comm.AllGather(torch::tensor({comm.rank() + 0.5f}));
  if (!floats.ok()) return floats.status();
  absl::Status status = Check(static_cast<int>(ints->size()) == comm.world_size() &&
                                  static_cast<int>(floats->size()) == comm.world_size(),
                              "one tensor per rank");
  for (int r = 0; status.ok() && r < comm.world_size(); ++r) {
    status = Check((*ints)[r].scalar_type() == torch::kInt64 &&
                       (*ints)[r][2].item<int64_t>() == 100 * r &&
                       (*ints)[r][1].item<int64_t>() == 10 * r &&
                       (*floats)[r][0].item<float>() == r + 0.5f,
                   absl::StrCat("rank ", r, "'s gathered values"));
  }
  return status;
}

absl::Status ModelsDifferScenario(Communicator& comm) {
  torch::nn::Sequential mine = MakeModule(comm.rank(), comm.rank() == 1 ? 9 : 8);
  return comm.BroadcastModule(*mine);
}

// The last rank crashes (die) or stops answering (stall) after one good all-reduce;
// the others try a second one, which must fail rather than hang.
absl::Status FaultScenario(Communicator& comm, bool die) {
  absl::Status status = AllReduceScenario(comm);
  if (!status.ok()) return status;
  if (comm.rank() == comm.world_size() - 1) {
    if (die) raise(SIGKILL);
    std::this_thread::sleep_for(std::chrono::seconds(120));
    return absl::OkStatus();
  }
  return AllReduceScenario(comm);
}

absl::Status HoldScenario(Communicator& comm) {
  std::ofstream(absl::StrCat(FLAGS_pid_dir, "/", comm.rank(), ".pid")) << getpid() << "\n";
  std::this_thread::sleep_for(std::chrono::seconds(120));
  return absl::OkStatus();
}

absl::Status Run() {
  absl::StatusOr<DistConfig> config = tools::DistConfigFromFlags();
  if (!config.ok()) return config.status();
  absl::StatusOr<std::unique_ptr<Communicator>> comm = Communicator::Connect(*config);
  if (!comm.ok()) return comm.status();
  const std::string& s = FLAGS_scenario;
  if (s == "collectives") {
    for (auto scenario :
         {AllReduceScenario, BucketsScenario, BroadcastScenario, SumScenario, GatherScenario}) {
      absl::Status status = scenario(**comm);
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  }
  if (s == "models_differ") return ModelsDifferScenario(**comm);
  if (s == "die" || s == "stall") return FaultScenario(**comm, s == "die");
  if (s == "hold") return HoldScenario(**comm);
  return absl::InvalidArgumentError("unknown --scenario=" + s);
}

}  // namespace
}  // namespace attn::dist

int main(int argc, char** argv) {
  attn::tools::InitTorchMain(&argc, &argv, "dist_test_worker --scenario=NAME [dist flags]");
  return attn::runtime::RunCommand(attn::dist::Run);
}
