#include "lib/dist/communicator.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "glog/logging.h"
#include "torch/csrc/distributed/c10d/ProcessGroupGloo.hpp"
#include "torch/csrc/distributed/c10d/TCPStore.hpp"
#ifdef USE_C10D_NCCL
#include "torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp"
#endif

namespace attn::dist {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kKeyPrefix[] = "attn_dist/";

// The first line of an exception's message, without LibTorch's backtrace or Gloo's
// "[file:line] " prefix.
std::string Describe(const std::exception& error) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&error);
  std::string text = c10_error != nullptr ? c10_error->what_without_backtrace() : error.what();
  std::string line(absl::StripAsciiWhitespace(text.substr(0, text.find('\n'))));
  if (!line.empty() && line[0] == '[') {
    size_t close = line.find("] ");
    if (close != std::string::npos) line = line.substr(close + 2);
  }
  return line;
}

std::vector<uint8_t> Bytes(const std::string& text) { return {text.begin(), text.end()}; }

std::string RankKey(int rank) { return absl::StrCat(kKeyPrefix, "rank/", rank); }

// Every rank announces itself, checks that rank 0 runs a job of the same size, then
// waits until all ranks have arrived or the timeout has passed.
absl::Status AwaitAllRanks(c10d::Store& store, const DistConfig& config, const std::string& where) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(config.timeout_s);
  const std::string world_key = absl::StrCat(kKeyPrefix, "world_size");
  const std::string arrived_key = absl::StrCat(kKeyPrefix, "arrived");
  if (store.add(RankKey(config.rank), 1) > 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("rank ", config.rank, " was started twice for the rendezvous at ", where,
                     ": give each process its own RANK"));
  }
  if (config.rank == 0) {
    store.set(world_key, Bytes(std::to_string(config.world_size)));
  } else {
    std::vector<uint8_t> value = store.get(world_key);
    const std::string rank0_world(value.begin(), value.end());
    if (rank0_world != std::to_string(config.world_size)) {
      return absl::FailedPreconditionError(
          absl::StrCat("rank ", config.rank, " has world size ", config.world_size,
                       " but rank 0 at ", where, " has ", rank0_world,
                       ": start every rank with the same WORLD_SIZE"));
    }
  }
  store.add(arrived_key, 1);
  while (true) {
    const int64_t arrived = store.add(arrived_key, 0);
    if (arrived >= config.world_size) return absl::OkStatus();
    if (Clock::now() >= deadline) {
      std::vector<int> missing;
      for (int r = 0; r < config.world_size && missing.size() < 10; ++r) {
        if (!store.check({RankKey(r)})) missing.push_back(r);
      }
      return absl::DeadlineExceededError(absl::StrCat(
          "rank ", config.rank, ": the rendezvous at ", where, " timed out after ",
          config.timeout_s, " s with ", arrived, " of ", config.world_size,
          " ranks arrived (missing ranks ", absl::StrJoin(missing, ","),
          missing.size() == 10 ? ",..." : "", "): start all ", config.world_size,
          " ranks with the same MASTER_ADDR, MASTER_PORT and WORLD_SIZE, or raise `dist_timeout_s`"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || absl::StartsWith(host, "127.") || host == "::1";
}

// Gloo's network devices, chosen as PyTorch does: GLOO_SOCKET_IFNAME names the
// interfaces; otherwise loopback for a single-machine job, else the host's own address.
std::vector<std::shared_ptr<::gloo::transport::Device>> GlooDevices(const DistConfig& config) {
  std::vector<std::shared_ptr<::gloo::transport::Device>> devices;
  const char* interfaces = std::getenv("GLOO_SOCKET_IFNAME");
  if (interfaces != nullptr && interfaces[0] != '\0') {
    for (absl::string_view name : absl::StrSplit(interfaces, ',', absl::SkipEmpty())) {
      devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(std::string(name)));
    }
  } else if (IsLoopback(config.master_addr)) {
    devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  } else {
    devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  }
  return devices;
}

int TensorKind(const torch::Tensor& t) {
  return static_cast<int>(t.scalar_type()) * 1024 + (t.is_cuda() ? 1 + t.get_device() : 0);
}

// Runs `collective` on each bucket of `tensors` flattened into one tensor, then copies
// the bucket's result back into the tensors.
template <typename Collective>
void ForEachBucket(const std::vector<torch::Tensor>& tensors, int64_t bucket_bytes,
                   Collective collective) {
  std::vector<TensorSlot> slots;
  slots.reserve(tensors.size());
  for (const torch::Tensor& t : tensors) slots.push_back({t.numel() * t.element_size(), TensorKind(t)});
  torch::NoGradGuard no_grad;
  for (const Bucket& bucket : PlanBuckets(slots, bucket_bytes)) {
    std::vector<torch::Tensor> pieces;
    for (int i = bucket.begin; i < bucket.end; ++i) pieces.push_back(tensors[i].reshape(-1));
    torch::Tensor flat = torch::cat(pieces);
    collective(flat);
    int64_t offset = 0;
    for (int i = bucket.begin; i < bucket.end; ++i) {
      const int64_t n = tensors[i].numel();
      tensors[i].copy_(flat.narrow(0, offset, n).view_as(tensors[i]));
      offset += n;
    }
  }
}

// c10d's socket layer logs every failed bind or connect attempt through glog; the
// Status that Connect returns says it once, in one line.
class QuietGlog {
 public:
  QuietGlog() : saved_(FLAGS_minloglevel) { FLAGS_minloglevel = google::GLOG_FATAL; }
  ~QuietGlog() { FLAGS_minloglevel = saved_; }

 private:
  int saved_;
};

}  // namespace

struct Communicator::Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> process_group;
  torch::Device device = torch::kCPU;  // where small control tensors live

  void Run(c10::intrusive_ptr<c10d::Work> work) { work->wait(); }
  void AllReduce(torch::Tensor& t, c10d::ReduceOp op) {
    std::vector<torch::Tensor> tensors{t};
    c10d::AllreduceOptions options;
    options.reduceOp = op;
    Run(process_group->allreduce(tensors, options));
  }
  std::vector<torch::Tensor> AllGather(const torch::Tensor& t, int world_size) {
    std::vector<torch::Tensor> inputs{t};
    std::vector<std::vector<torch::Tensor>> outputs(1);
    for (int r = 0; r < world_size; ++r) outputs[0].push_back(torch::empty_like(t));
    Run(process_group->allgather(outputs, inputs));
    return outputs[0];
  }
  void Broadcast(torch::Tensor& t) {
    std::vector<torch::Tensor> tensors{t};
    c10d::BroadcastOptions options;
    options.rootRank = 0;
    Run(process_group->broadcast(tensors, options));
  }
};

Communicator::Communicator(const DistConfig& config, std::unique_ptr<Group> group)
    : config_(config), group_(std::move(group)) {}

Communicator::~Communicator() = default;

absl::StatusOr<std::unique_ptr<Communicator>> Communicator::Connect(const DistConfig& config) {
  if (!config.distributed()) {
    return std::unique_ptr<Communicator>(new Communicator(config, nullptr));
  }
#ifndef USE_C10D_NCCL
  if (config.backend == Backend::kNccl) {
    return absl::InvalidArgumentError(
        "`dist_backend`=nccl needs a LibTorch built with CUDA and NCCL, and this build links a "
        "CPU-only LibTorch: use `dist_backend`=gloo (or rebuild with bazel --config=cuda)");
  }
#endif
  const std::string where = absl::StrCat(config.master_addr, ":", config.master_port);
  const auto timeout = std::chrono::milliseconds(std::llround(config.timeout_s * 1000));
  auto group = std::make_unique<Group>();
  QuietGlog quiet;

  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<uint16_t>(config.master_port);
  store_options.isServer = config.rank == 0;
  store_options.numWorkers = config.world_size;
  store_options.waitWorkers = false;  // AwaitAllRanks waits, with a clear message
  store_options.timeout = timeout;
  try {
    group->store = c10::make_intrusive<c10d::TCPStore>(config.master_addr, store_options);
  } catch (const std::exception& e) {
    const std::string detail = Describe(e);
    if (config.rank == 0) {
      if (detail.find("already in use") != std::string::npos) {
        return absl::UnavailableError(absl::StrCat(
            "rank 0 cannot serve the rendezvous: port ", config.master_port,
            " is already in use (another job or process holds it): choose a free port with "
            "`master_port` or MASTER_PORT"));
      }
      return absl::UnavailableError(absl::StrCat("rank 0 cannot serve the rendezvous on port ",
                                                 config.master_port, ": ", detail));
    }
    return absl::UnavailableError(absl::StrCat(
        "rank ", config.rank, " could not reach the rendezvous at ", where, " within ",
        config.timeout_s, " s (", detail,
        "): start rank 0 there, and check MASTER_ADDR and MASTER_PORT"));
  }

  try {
    absl::Status arrived = AwaitAllRanks(*group->store, config, where);
    if (!arrived.ok()) return arrived;
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("rank ", config.rank, ": the rendezvous at ",
                                               where, " failed (", Describe(e),
                                               "): rank 0 probably stopped; see its log"));
  }

  try {
    if (config.backend == Backend::kGloo) {
      auto options = c10d::ProcessGroupGloo::Options::create(timeout);
      options->devices = GlooDevices(config);
      group->process_group = c10::make_intrusive<c10d::ProcessGroupGloo>(
          group->store, config.rank, config.world_size, options);
    } else {
#ifdef USE_C10D_NCCL
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout;
      group->device = torch::Device(torch::kCUDA, config.local_rank);
      group->process_group = c10::make_intrusive<c10d::ProcessGroupNCCL>(
          group->store, config.rank, config.world_size, options);
#endif
    }
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat(
        "rank ", config.rank, ": setting up the ", BackendName(config.backend),
        " process group failed (", Describe(e), "): another rank probably stopped"));
  }
  VLOG(1) << "rank " << config.rank << " of " << config.world_size << " joined " << where
          << " (" << BackendName(config.backend) << ")";
  return std::unique_ptr<Communicator>(new Communicator(config, std::move(group)));
}

absl::Status Communicator::Failure(const char* operation, const std::exception& error) const {
  return absl::UnavailableError(absl::StrCat(
      "rank ", config_.rank, " of ", config_.world_size, ": ", operation, " failed (",
      Describe(error), "): another rank probably died or stalled (`dist_timeout_s`=",
      config_.timeout_s, "); see the other ranks' logs"));
}

absl::Status Communicator::BroadcastModule(torch::nn::Module& module) {
  if (!group_) return absl::OkStatus();
  std::vector<torch::Tensor> tensors = module.parameters();
  for (const torch::Tensor& buffer : module.buffers()) tensors.push_back(buffer);
  // Collectives on tensors of different sizes would fail obscurely or mix values, so the
  // ranks first compare a summary of the shapes.
  int64_t values = 0, shape_hash = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    values += tensors[i].numel();
    for (int64_t size : tensors[i].sizes()) shape_hash = (shape_hash * 1000003 + size + 1) % (1LL << 50);
    shape_hash = (shape_hash * 31 + static_cast<int>(tensors[i].scalar_type())) % (1LL << 50);
  }
  try {
    auto summary = torch::tensor({static_cast<int64_t>(tensors.size()), values, shape_hash},
                                 torch::TensorOptions(torch::kInt64).device(group_->device));
    torch::Tensor lowest = summary.clone(), highest = summary.clone();
    group_->AllReduce(lowest, c10d::ReduceOp::MIN);
    group_->AllReduce(highest, c10d::ReduceOp::MAX);
    if (!torch::equal(lowest, highest)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "rank ", config_.rank, ": the ranks' models differ (this rank has ", tensors.size(),
          " tensors with ", values, " values): start every rank with the same model flags"));
    }
    ForEachBucket(tensors, kDefaultBucketBytes, [&](torch::Tensor& flat) { group_->Broadcast(flat); });
  } catch (const std::exception& e) {
    return Failure("broadcasting rank 0's weights", e);
  }
  return absl::OkStatus();
}

absl::Status Communicator::AverageGradients(const std::vector<torch::Tensor>& parameters,
                                            int64_t bucket_bytes) {
  if (!group_) return absl::OkStatus();
  const auto start = Clock::now();
  std::vector<torch::Tensor> gradients;
  try {
    // A parameter without a gradient on every rank stays without one, as in a single
    // process; one that has a gradient on some ranks only counts as zeros on the others.
    std::vector<int32_t> defined;
    for (const torch::Tensor& parameter : parameters) defined.push_back(parameter.grad().defined());
    torch::Tensor has_gradient = torch::tensor(defined).to(group_->device);
    group_->AllReduce(has_gradient, c10d::ReduceOp::MAX);
    has_gradient = has_gradient.cpu();
    for (size_t i = 0; i < parameters.size(); ++i) {
      if (has_gradient[i].item<int32_t>() == 0) continue;
      torch::Tensor parameter = parameters[i];
      if (!parameter.grad().defined()) parameter.mutable_grad() = torch::zeros_like(parameter);
      gradients.push_back(parameter.grad());
    }
    ForEachBucket(gradients, bucket_bytes, [&](torch::Tensor& flat) {
      group_->AllReduce(flat, c10d::ReduceOp::SUM);
      flat.div_(config_.world_size);
    });
  } catch (const std::exception& e) {
    return Failure("averaging gradients", e);
  }
  gradient_seconds_ += std::chrono::duration<double>(Clock::now() - start).count();
  return absl::OkStatus();
}

absl::Status Communicator::SumAcrossRanks(std::vector<double>* values) {
  if (!group_ || values->empty()) return absl::OkStatus();
  try {
    torch::Tensor sums =
        torch::tensor(*values, torch::TensorOptions(torch::kFloat64)).to(group_->device);
    group_->AllReduce(sums, c10d::ReduceOp::SUM);
    sums = sums.cpu();
    for (size_t i = 0; i < values->size(); ++i) (*values)[i] = sums[i].item<double>();
  } catch (const std::exception& e) {
    return Failure("summing across ranks", e);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<torch::Tensor>> Communicator::AllGather(const torch::Tensor& tensor) {
  if (!group_) return std::vector<torch::Tensor>{tensor};
  try {
    // Collectives of tensors of different sizes would fail obscurely: compare first.
    auto numel = torch::tensor({tensor.numel(), -tensor.numel()},
                               torch::TensorOptions(torch::kInt64).device(group_->device));
    group_->AllReduce(numel, c10d::ReduceOp::MAX);
    if (numel[0].item<int64_t>() != tensor.numel() || -numel[1].item<int64_t>() != tensor.numel()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "rank ", config_.rank, ": the ranks gather tensors of different sizes (this rank has ",
          tensor.numel(), " values)"));
    }
    std::vector<torch::Tensor> gathered =
        group_->AllGather(tensor.contiguous().to(group_->device), config_.world_size);
    for (torch::Tensor& t : gathered) t = t.to(tensor.device());
    return gathered;
  } catch (const std::exception& e) {
    return Failure("gathering from every rank", e);
  }
}

}  // namespace attn::dist
