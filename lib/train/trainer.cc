#include "lib/train/trainer.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <utility>

#include "ATen/autocast_mode.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/io/atomic_file.h"
#include "lib/runtime/progress.h"
#include "lib/train/lr_schedule.h"
#include "lib/train/optimizer.h"
#include "lib/train/training_log.h"

namespace attn::train {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Where a run stands; with the weights, optimizer and RNG it is the resume state.
struct Position {
  int64_t step = 0;        // optimizer steps done
  int64_t epoch = 0;       // current epoch, 0-based
  int64_t next_batch = 0;  // next training batch of the current epoch
  double best_valid_loss = std::numeric_limits<double>::infinity();
  int64_t best_step = 0;
  int64_t evals_since_best = 0;
  int64_t tokens = 0;      // training tokens consumed
  double elapsed_s = 0;    // training time of earlier runs of this job
  bool finished = false;
  bool early_stopped = false;
};

std::string WeightNames(model::LanguageModel& model) {
  std::vector<std::string> names;
  for (const auto& item : model.named_parameters()) names.push_back(item.key());
  for (const auto& item : model.named_buffers()) names.push_back(item.key());
  return absl::StrJoin(names, "\n");
}

std::string RecipeString(const std::map<std::string, std::string>& recipe) {
  return absl::StrJoin(recipe, "\n", absl::PairFormatter("="));
}

c10::List<at::Tensor> TensorList(const std::vector<torch::Tensor>& tensors) {
  c10::List<at::Tensor> list;
  for (const auto& t : tensors) list.push_back(t.detach().to(torch::kCPU));
  return list;
}

// Every rank's CPU random state (they differ: rank r seeds with seed + r), gathered on
// every rank through the sum of one slot per rank.
absl::StatusOr<std::vector<torch::Tensor>> RankRandomStates(const TrainOptions& options,
                                                            const TrainHooks& hooks) {
  const torch::Tensor mine = at::detail::getDefaultCPUGenerator().get_state().contiguous();
  const int64_t n = mine.numel();
  std::vector<double> slots(n * options.world_size, 0.0);
  for (int64_t i = 0; i < n; ++i) slots[options.rank * n + i] = mine.data_ptr<uint8_t>()[i];
  if (absl::Status s = hooks.sum_across_ranks(&slots); !s.ok()) return s;
  std::vector<torch::Tensor> states;
  for (int r = 0; r < options.world_size; ++r) {
    torch::Tensor state = torch::empty({n}, torch::kUInt8);
    for (int64_t i = 0; i < n; ++i) state.data_ptr<uint8_t>()[i] = static_cast<uint8_t>(slots[r * n + i]);
    states.push_back(state);
  }
  return states;
}

absl::Status SaveState(const std::string& path, model::LanguageModel& model,
                       torch::optim::AdamW& optimizer, const Position& pos,
                       const std::vector<torch::Tensor>& best,
                       const std::map<std::string, std::string>& recipe,
                       const std::vector<torch::Tensor>& rank_random_states) {
  std::ostringstream bytes;
  try {
    torch::serialize::OutputArchive archive;
    archive.write("recipe", c10::IValue(RecipeString(recipe)));
    archive.write("weight_names", c10::IValue(WeightNames(model)));
    archive.write("weights", c10::IValue(TensorList(CopyWeights(model))));
    archive.write("best_weights", c10::IValue(TensorList(best)));
    torch::serialize::OutputArchive optimizer_archive;
    optimizer.save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
    archive.write("rng", c10::IValue(at::detail::getDefaultCPUGenerator().get_state()));
    archive.write("world_size", c10::IValue(static_cast<int64_t>(
                                    std::max<size_t>(1, rank_random_states.size()))));
    if (!rank_random_states.empty()) {
      archive.write("rank_rngs", c10::IValue(TensorList(rank_random_states)));
    }
    archive.write("position", c10::IValue(std::vector<int64_t>{
                                  pos.step, pos.epoch, pos.next_batch, pos.best_step,
                                  pos.evals_since_best, pos.tokens, pos.finished,
                                  pos.early_stopped}));
    archive.write("best_valid_loss", c10::IValue(pos.best_valid_loss));
    archive.write("elapsed_s", c10::IValue(pos.elapsed_s));
    archive.save_to(bytes);
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat(path, ": cannot serialise the resume state: ", e.what_without_backtrace()));
  }
  return io::WriteFileAtomically(path, bytes.str());
}

absl::Status LoadState(const std::string& path, model::LanguageModel& model,
                       torch::optim::AdamW& optimizer, Position* pos,
                       std::vector<torch::Tensor>* best,
                       const std::map<std::string, std::string>& recipe,
                       const TrainOptions& options) {
  if (!std::filesystem::exists(path)) {
    return absl::NotFoundError(absl::StrCat(
        path, ": no resume state to continue from; run without --resume to start afresh"));
  }
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    c10::IValue value;
    // Each rank's share of the data and its random stream depend on the world size.
    const int64_t saved_world_size = archive.try_read("world_size", value) ? value.toInt() : 1;
    if (saved_world_size != options.world_size) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, ": was written by a job of ", saved_world_size, " rank(s) and this job has ",
          options.world_size, "; it continues exactly only with WORLD_SIZE=", saved_world_size,
          " (the data split and random streams depend on it), or start afresh without --resume"));
    }
    archive.read("recipe", value);
    if (value.toStringRef() != RecipeString(recipe)) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, ": was written by a run with other settings (", value.toStringRef(),
          "); resume with the same flags, or start afresh without --resume"));
    }
    archive.read("weight_names", value);
    if (value.toStringRef() != WeightNames(model)) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": holds the weights of another model; resume with the same model flags"));
    }
    archive.read("weights", value);
    std::vector<torch::Tensor> weights = value.toTensorVector();
    RestoreWeights(model, weights);
    archive.read("best_weights", value);
    *best = value.toTensorVector();
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    optimizer.load(optimizer_archive);
    archive.read("rng", value);
    if (options.world_size > 1) {
      c10::IValue rank_states;
      archive.read("rank_rngs", rank_states);
      value = rank_states.toTensorVector().at(options.rank);
    }
    at::Generator generator = at::detail::getDefaultCPUGenerator();  // a handle, shared
    generator.set_state(value.toTensor());
    archive.read("position", value);
    const std::vector<int64_t> p = value.toIntVector();
    if (p.size() != 8) return absl::DataLossError(absl::StrCat(path, ": bad position record"));
    *pos = Position{p[0], p[1], p[2], 0, p[3], p[4], p[5], 0, p[6] != 0, p[7] != 0};
    archive.read("best_valid_loss", value);
    pos->best_valid_loss = value.toDouble();
    archive.read("elapsed_s", value);
    pos->elapsed_s = value.toDouble();
  } catch (const c10::Error& e) {
    return absl::DataLossError(absl::StrCat(
        path, ": corrupt or truncated resume state (", e.what_without_backtrace(),
        "); delete it and start afresh without --resume"));
  }
  return absl::OkStatus();
}

torch::Tensor Loss(const torch::Tensor& logits, const torch::Tensor& targets) {
  // The loss in float32 even under autocast: log-softmax over 256 bytes in bf16 is lossy.
  return torch::nn::functional::cross_entropy(
      logits.to(torch::kFloat).reshape({-1, logits.size(-1)}), targets.reshape({-1}));
}

}  // namespace

absl::StatusOr<Precision> ParsePrecision(const std::string& name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "bf16") return Precision::kBf16;
  return absl::InvalidArgumentError(
      absl::StrCat("--precision=", name, " is not known; use fp32 or bf16"));
}

absl::StatusOr<torch::Device> ParseDevice(const std::string& name) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (name == "cuda") {
    if (!torch::cuda::is_available()) {
      return absl::FailedPreconditionError(
          "--device=cuda: this LibTorch build has no CUDA support (or no GPU is visible); "
          "use --device=cpu");
    }
    return torch::Device(torch::kCUDA);
  }
  return absl::InvalidArgumentError(absl::StrCat("--device=", name, " is not known; use cpu or cuda"));
}

AutocastScope::AutocastScope(Precision precision, torch::Device device) {
  if (precision != Precision::kBf16) return;
  active_ = true;
  cuda_ = device.is_cuda();
  if (cuda_) {
    was_enabled_ = at::autocast::is_enabled();
    previous_dtype_ = at::autocast::get_autocast_gpu_dtype();
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(true);
  } else {
    was_enabled_ = at::autocast::is_cpu_enabled();
    previous_dtype_ = at::autocast::get_autocast_cpu_dtype();
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(true);
  }
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  if (cuda_) {
    at::autocast::set_enabled(was_enabled_);
    at::autocast::set_autocast_gpu_dtype(previous_dtype_);
  } else {
    at::autocast::set_cpu_enabled(was_enabled_);
    at::autocast::set_autocast_cpu_dtype(previous_dtype_);
  }
  // Autocast caches the bf16 copies of the weights; they are stale after the next step.
  at::autocast::clear_cache();
}

std::map<std::string, std::string> TrainOptions::Recipe() const {
  return {{"seq_len", absl::StrCat(seq_len)},
          {"batch_size", absl::StrCat(batch_size)},
          {"grad_accum", absl::StrCat(grad_accum)},
          {"epochs", absl::StrCat(epochs)},
          {"max_steps", absl::StrCat(max_steps)},
          {"lr", absl::StrCat(lr)},
          {"min_lr", absl::StrCat(min_lr)},
          {"warmup_steps", absl::StrCat(warmup_steps)},
          {"weight_decay", absl::StrCat(weight_decay)},
          {"clip_norm", absl::StrCat(clip_norm)},
          {"eval_every", absl::StrCat(eval_every)},
          {"eval_batches", absl::StrCat(eval_batches)},
          {"patience", absl::StrCat(patience)},
          {"seed", absl::StrCat(seed)},
          {"precision", precision == Precision::kBf16 ? "bf16" : "fp32"}};
}

std::string FormatSummary(const TrainSummary& s) {
  return absl::StrFormat(
      "%d steps (%.2f epochs)%s in %s, best validation loss %.4f nats = %.4f bpc at step %d, "
      "%.0f tokens/s, peak resident memory %s",
      s.steps, s.epochs,
      s.early_stopped ? ", stopped early" : (s.finished ? "" : ", paused (resume with --resume)"),
      runtime::Progress::FormatDuration(s.elapsed_s), s.best_valid_loss, Bpc(s.best_valid_loss),
      s.best_step, s.tokens_per_s, runtime::Progress::FormatBytes(s.peak_rss_bytes));
}

int64_t PeakRssBytes() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;  // Linux reports kilobytes
}

double EvaluateLoss(model::LanguageModel& model, const data::BatchStream& data,
                    int64_t max_batches, Precision precision, torch::Device device) {
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  const int64_t n = max_batches > 0 ? std::min(max_batches, data.NumBatches()) : data.NumBatches();
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const data::Batch batch = data.Get(i);
    AutocastScope autocast(precision, device);
    sum += Loss(model.Forward(batch.inputs.to(device)), batch.targets.to(device)).item<double>();
  }
  model.train(was_training);
  // Every batch has the same number of tokens, so the mean of batch means is the token mean.
  return sum / static_cast<double>(n);
}

double AccumulateGradients(model::LanguageModel& model,
                           const std::vector<data::Batch>& micro_batches, Precision precision,
                           torch::Device device) {
  const double n = static_cast<double>(micro_batches.size());
  double sum = 0;
  for (const data::Batch& batch : micro_batches) {
    torch::Tensor loss;
    {
      AutocastScope autocast(precision, device);
      loss = Loss(model.Forward(batch.inputs.to(device)), batch.targets.to(device));
    }
    (loss / n).backward();
    sum += loss.item<double>();
  }
  return sum / n;
}

std::vector<torch::Tensor> CopyWeights(model::LanguageModel& model) {
  std::vector<torch::Tensor> copy;
  for (const auto& p : model.parameters()) copy.push_back(p.detach().clone());
  for (const auto& b : model.buffers()) copy.push_back(b.detach().clone());
  return copy;
}

void RestoreWeights(model::LanguageModel& model, const std::vector<torch::Tensor>& weights) {
  torch::NoGradGuard no_grad;
  size_t i = 0;
  for (auto& p : model.parameters()) p.copy_(weights.at(i++));
  for (auto& b : model.buffers()) b.copy_(weights.at(i++));
}

absl::StatusOr<TrainSummary> Train(model::LanguageModel& model, const TrainOptions& options,
                                   const TrainHooks& hooks) {
  if (options.seq_len > model.MaxSeqLen()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--seq_len=", options.seq_len, " is longer than the model's positional table (",
        model.MaxSeqLen(), " positions); use a smaller --seq_len"));
  }
  if (options.grad_accum < 1 || options.epochs < 1 || options.warmup_steps < 0 ||
      options.lr <= 0 || options.min_lr < 0 || options.min_lr > options.lr) {
    return absl::InvalidArgumentError(
        "need --grad_accum >= 1, --epochs >= 1, --warmup_steps >= 0 and 0 <= --min_lr <= --lr");
  }
  absl::StatusOr<data::BatchStream> train_data =
      data::BatchStream::FromFile(options.train_path, options.batch_size, options.seq_len);
  if (!train_data.ok()) return train_data.status();
  absl::StatusOr<data::BatchStream> valid_data =
      data::BatchStream::FromFile(options.valid_path, options.batch_size, options.seq_len);
  if (!valid_data.ok()) return valid_data.status();
  const bool is_main = options.rank == 0;
  if (options.world_size > 1) {
    if (options.batch_size % options.world_size != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--batch_size=", options.batch_size, " is not a multiple of the world size ",
          options.world_size, ": each rank trains on an equal share of the streams"));
    }
    if (!hooks.sum_across_ranks) {
      return absl::InvalidArgumentError("a data-parallel run needs TrainHooks::sum_across_ranks");
    }
    const int64_t share = options.batch_size / options.world_size;
    *train_data = train_data->Streams(options.rank * share, share);
    *valid_data = valid_data->Streams(options.rank * share, share);
  }
  // The mean over ranks of a value each rank computed on its share (equal shares).
  auto mean_across_ranks = [&](double* value) -> absl::Status {
    if (options.world_size == 1) return absl::OkStatus();
    std::vector<double> values = {*value};
    if (absl::Status s = hooks.sum_across_ranks(&values); !s.ok()) return s;
    *value = values[0] / options.world_size;
    return absl::OkStatus();
  };

  const int64_t batches_per_epoch = train_data->NumBatches();
  const int64_t steps_per_epoch = (batches_per_epoch + options.grad_accum - 1) / options.grad_accum;
  int64_t total_steps = options.epochs * steps_per_epoch;
  if (options.max_steps > 0) total_steps = std::min(total_steps, options.max_steps);
  const LrSchedule schedule{options.lr, options.min_lr, options.warmup_steps, total_steps};
  const std::string state_path =
      options.state_path.empty() ? options.output_path + ".state" : options.state_path;
  std::map<std::string, std::string> recipe = options.Recipe();
  for (const auto& [key, value] : model.ConfigMetadata()) recipe["model." + key] = value;

  model.to(options.device);
  model.train();
  std::unique_ptr<torch::optim::AdamW> optimizer =
      MakeAdamW(model, options.lr, options.weight_decay);
  const std::vector<torch::Tensor> parameters = UniqueParameters(model);
  Position pos;
  std::vector<torch::Tensor> best_weights;
  if (options.resume) {
    if (absl::Status s =
            LoadState(state_path, model, *optimizer, &pos, &best_weights, recipe, options);
        !s.ok()) {
      return s;
    }
  } else {
    torch::manual_seed(options.seed + options.rank);  // each rank its own dropout
  }
  absl::StatusOr<TrainingLog> log = TrainingLog::Open(is_main ? options.log_path : "", options.resume, pos.step);
  if (!log.ok()) return log.status();

  const Clock::time_point start = Clock::now();
  const double elapsed_before = pos.elapsed_s;
  auto elapsed = [&] { return elapsed_before + Seconds(start); };
  auto epochs_done = [&] {
    return pos.epoch + static_cast<double>(pos.next_batch) / batches_per_epoch;
  };
  auto save_state = [&]() -> absl::Status {
    pos.elapsed_s = elapsed();
    std::vector<torch::Tensor> rank_random_states;
    if (options.world_size > 1) {
      absl::StatusOr<std::vector<torch::Tensor>> states = RankRandomStates(options, hooks);
      if (!states.ok()) return states.status();
      rank_random_states = *std::move(states);
    }
    if (!is_main) return absl::OkStatus();
    return SaveState(state_path, model, *optimizer, pos, best_weights, recipe, rank_random_states);
  };

  std::optional<runtime::Progress> progress;
  if (is_main) progress.emplace("train", total_steps, "steps");
  if (progress) progress->Update(pos.step);
  const int64_t tokens_at_start = pos.tokens;
  double interval_loss = 0;
  int64_t interval_steps = 0, interval_tokens = 0;
  Clock::time_point interval_start = Clock::now();
  double lr = 0;
  const int64_t run_start_step = pos.step;

  while (!pos.finished && pos.step < total_steps) {
    const int64_t n = std::min(options.grad_accum, batches_per_epoch - pos.next_batch);
    std::vector<data::Batch> micro;
    for (int64_t k = 0; k < n; ++k) micro.push_back(train_data->Get(pos.next_batch + k));
    lr = schedule.LrAt(pos.step + 1);
    SetLearningRate(*optimizer, lr);
    optimizer->zero_grad();
    const double loss = AccumulateGradients(model, micro, options.precision, options.device);
    if (!std::isfinite(loss)) {
      return absl::InternalError(absl::StrCat("training diverged: loss ", loss, " at step ",
                                              pos.step + 1, "; lower --lr"));
    }
    if (hooks.after_gradients) {
      if (absl::Status s = hooks.after_gradients(); !s.ok()) return s;
    }
    ClipGradNorm(parameters, options.clip_norm);
    optimizer->step();

    ++pos.step;
    pos.tokens += n * train_data->TokensPerBatch() * options.world_size;
    pos.next_batch += n;
    const bool epoch_end = pos.next_batch == batches_per_epoch;
    if (epoch_end) {
      ++pos.epoch;
      pos.next_batch = 0;
    }
    interval_loss += loss;
    ++interval_steps;
    interval_tokens += n * train_data->TokensPerBatch() * options.world_size;
    const double run_tokens_per_s = (pos.tokens - tokens_at_start) / std::max(Seconds(start), 1e-9);
    if (progress) progress->Update(pos.step, absl::StrFormat("loss %.3f, bpc %.3f, %.0f tokens/s", loss,
                                              Bpc(loss), run_tokens_per_s));
    if (pos.step % options.log_every == 0 || pos.step == total_steps) {
      const double seconds = std::max(Seconds(interval_start), 1e-9);
      if (absl::Status s = mean_across_ranks(&interval_loss); !s.ok()) return s;
      if (absl::Status s = log->Append({pos.step, epochs_done(), "train",
                                        interval_loss / interval_steps, lr,
                                        interval_tokens / seconds, elapsed()});
          !s.ok()) {
        return s;
      }
      interval_loss = 0;
      interval_steps = interval_tokens = 0;
      interval_start = Clock::now();
    }

    const bool last = pos.step == total_steps;
    const bool validate =
        epoch_end || last || (options.eval_every > 0 && pos.step % options.eval_every == 0);
    if (validate) {
      double valid_loss = EvaluateLoss(model, *valid_data, options.eval_batches,
                                       options.precision, options.device);
      if (absl::Status s = mean_across_ranks(&valid_loss); !s.ok()) return s;
      if (absl::Status s = log->Append({pos.step, epochs_done(), "valid", valid_loss, lr,
                                        run_tokens_per_s, elapsed()});
          !s.ok()) {
        return s;
      }
      if (valid_loss < pos.best_valid_loss) {
        pos.best_valid_loss = valid_loss;
        pos.best_step = pos.step;
        pos.evals_since_best = 0;
        best_weights = CopyWeights(model);
        if (hooks.save_checkpoint && is_main) {
          std::map<std::string, std::string> metadata = options.Recipe();
          metadata["step"] = absl::StrCat(pos.step);
          metadata["epoch"] = absl::StrFormat("%.4f", epochs_done());
          metadata["valid_loss"] = absl::StrCat(valid_loss);
          metadata["valid_bpc"] = absl::StrCat(Bpc(valid_loss));
          if (absl::Status s = hooks.save_checkpoint(options.output_path, model, metadata);
              !s.ok()) {
            return s;
          }
        }
      } else {
        ++pos.evals_since_best;
        if (options.patience > 0 && pos.evals_since_best >= options.patience) {
          pos.early_stopped = true;
        }
      }
    }
    pos.finished = last || pos.early_stopped;
    const bool pause = options.stop_after > 0 && pos.step >= options.stop_after;
    if (validate || pos.finished || pause ||
        (options.checkpoint_every > 0 && pos.step % options.checkpoint_every == 0)) {
      if (absl::Status s = save_state(); !s.ok()) return s;
    }
    if (pause) break;
  }
  if (!best_weights.empty()) RestoreWeights(model, best_weights);

  TrainSummary summary;
  summary.steps = pos.step;
  summary.epochs = epochs_done();
  summary.best_valid_loss = pos.best_valid_loss;
  summary.best_step = pos.best_step;
  summary.early_stopped = pos.early_stopped;
  summary.finished = pos.finished;
  summary.elapsed_s = elapsed();
  summary.tokens_per_s = (pos.tokens - tokens_at_start) / std::max(Seconds(start), 1e-9);
  summary.peak_rss_bytes = PeakRssBytes();
  if (progress) progress->Finish(absl::StrFormat("%d steps this run, %s peak resident memory",
                                  pos.step - run_start_step,
                                  runtime::Progress::FormatBytes(summary.peak_rss_bytes)));
  return summary;
}

}  // namespace attn::train
