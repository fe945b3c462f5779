#include "lib/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/data/batches.h"
#include "lib/runtime/option_names.h"
#include "lib/runtime/progress.h"
#include "lib/runtime/tool.h"
#include "lib/train/lr_schedule.h"
#include "lib/train/optimizer.h"
#include "lib/train/resume_state.h"
#include "lib/train/train_step.h"
#include "lib/train/training_log.h"
#include "lib/train/weights.h"

namespace attn::train {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

struct RankData {
  data::BatchStream train, valid;
};

// The data of this rank: its share of the streams of every batch.
absl::StatusOr<RankData> LoadData(const TrainSpec& spec, const RankInfo& ranks) {
  absl::StatusOr<data::BatchStream> t = data::BatchStream::FromFile(spec.train, spec.batch_size, spec.seq_len);
  if (!t.ok()) return t.status();
  absl::StatusOr<data::BatchStream> v = data::BatchStream::FromFile(spec.valid, spec.batch_size, spec.seq_len);
  if (!v.ok()) return v.status();
  if (ranks.world_size > 1) {
    if (spec.batch_size % ranks.world_size != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          runtime::Opt("batch_size"), "=", spec.batch_size, " is not a multiple of the world size ",
          ranks.world_size, ": each rank trains on an equal share of the streams"));
    }
    const int64_t share = spec.batch_size / ranks.world_size;
    *t = t->Streams(ranks.rank * share, share);
    *v = v->Streams(ranks.rank * share, share);
  }
  return RankData{*std::move(t), *std::move(v)};
}

}  // namespace

absl::StatusOr<TrainSummary> Train(model::LanguageModel& model, const TrainSpec& spec,
                                   const RankInfo& ranks, const TrainHooks& hooks) {
  if (spec.seq_len > model.MaxSeqLen()) {
    return absl::InvalidArgumentError(absl::StrCat(
        runtime::Opt("seq_len"), "=", spec.seq_len, " is longer than the model's positional table (",
        model.MaxSeqLen(), " positions); use a smaller ", runtime::Opt("seq_len")));
  }
  if (ranks.world_size > 1 && (!hooks.sum_across_ranks || !hooks.gather_across_ranks)) {
    return absl::InvalidArgumentError("a data-parallel run needs the collectives of its TrainHooks");
  }
  absl::StatusOr<RankData> data = LoadData(spec, ranks);
  if (!data.ok()) return data.status();
  const data::BatchStream& train_data = data->train;
  const data::BatchStream& valid_data = data->valid;
  const bool is_main = ranks.rank == 0;
  // The mean over ranks of a value each rank computed on its (equal) share.
  auto mean_across_ranks = [&](double* value) -> absl::Status {
    if (ranks.world_size == 1) return absl::OkStatus();
    std::vector<double> values = {*value};
    if (absl::Status s = hooks.sum_across_ranks(&values); !s.ok()) return s;
    *value = values[0] / ranks.world_size;
    return absl::OkStatus();
  };

  const int64_t batches_per_epoch = train_data.NumBatches();
  const int64_t steps_per_epoch = (batches_per_epoch + spec.grad_accum - 1) / spec.grad_accum;
  int64_t total_steps = spec.epochs * steps_per_epoch;
  if (spec.max_steps > 0) total_steps = std::min(total_steps, spec.max_steps);
  const LrSchedule schedule{spec.lr, spec.min_lr, spec.warmup_steps, total_steps};
  const RunIdentity identity{model.Kind(), model.ConfigMetadata(), spec.Recipe(), ranks.world_size, spec.device};

  model.to(spec.device);
  model.train();
  std::unique_ptr<torch::optim::AdamW> optimizer = MakeAdamW(model, spec.lr, spec.weight_decay);
  const std::vector<torch::Tensor> parameters = UniqueParameters(model);
  RunPosition pos;
  std::vector<torch::Tensor> best_weights;
  if (spec.resume) {
    if (absl::Status s = LoadResumeState(spec.StatePath(), identity, ranks.rank, model, *optimizer,
                                         &best_weights, &pos);
        !s.ok()) {
      return s;
    }
  } else {
    torch::manual_seed(spec.seed + ranks.rank);  // each rank its own dropout
  }
  absl::StatusOr<TrainingLog> log = TrainingLog::Open(is_main ? spec.LogPath() : "", spec.resume, pos.step);
  if (!log.ok()) return log.status();

  const Clock::time_point start = Clock::now();
  const double elapsed_before = pos.elapsed_s;
  auto elapsed = [&] { return elapsed_before + Seconds(start); };
  auto epochs_done = [&] { return pos.epoch + static_cast<double>(pos.next_batch) / batches_per_epoch; };
  // The checkpoint (when the weights improved), the log, then the resume state.
  auto save = [&](bool improved) -> absl::Status {
    pos.elapsed_s = elapsed();
    RandomStates random_states = ThisProcessRandomStates(spec.device);
    for (std::vector<torch::Tensor>* states : {&random_states.cpu, &random_states.cuda}) {
      if (ranks.world_size == 1 || states->empty()) continue;
      absl::StatusOr<std::vector<torch::Tensor>> all = hooks.gather_across_ranks(states->front());
      if (!all.ok()) return all.status();
      *states = *std::move(all);
    }
    if (!is_main) return absl::OkStatus();
    if (improved && hooks.save_checkpoint) {
      std::map<std::string, std::string> metadata = spec.Recipe();
      metadata["step"] = absl::StrCat(pos.step);
      metadata["epoch"] = absl::StrFormat("%.4f", epochs_done());
      metadata["valid_loss"] = absl::StrCat(pos.best_valid_loss);
      metadata["valid_bpc"] = absl::StrCat(Bpc(pos.best_valid_loss));
      if (absl::Status s = hooks.save_checkpoint(spec.output, model, metadata); !s.ok()) return s;
    }
    if (absl::Status s = log->Commit(); !s.ok()) return s;
    return SaveResumeState(spec.StatePath(), identity, pos, model, *optimizer, best_weights, random_states);
  };

  std::optional<runtime::Progress> progress;
  if (is_main && !spec.precision_note.empty()) runtime::Report(spec.precision_note);
  if (is_main) progress.emplace(runtime::ToolName(), total_steps, "steps");
  if (progress) progress->SetAlreadyDone(pos.step);
  const int64_t tokens_at_start = pos.tokens, run_start_step = pos.step;
  double interval_loss = 0, lr = 0;
  int64_t interval_steps = 0, interval_tokens = 0;
  Clock::time_point interval_start = Clock::now();
  std::string last_validation;

  while (!pos.finished && pos.step < total_steps) {
    const int64_t n = std::min(spec.grad_accum, batches_per_epoch - pos.next_batch);
    std::vector<data::Batch> micro;
    for (int64_t k = 0; k < n; ++k) micro.push_back(train_data.Get(pos.next_batch + k));
    lr = schedule.LrAt(pos.step + 1);
    absl::StatusOr<double> loss = TrainStep(model, *optimizer, parameters, micro,
                                            {lr, spec.clip_norm, spec.precision, spec.device, hooks.after_gradients});
    if (!loss.ok()) {
      return absl::Status(loss.status().code(), absl::StrCat("step ", pos.step + 1, ": ", loss.status().message()));
    }
    ++pos.step;
    const int64_t tokens = n * train_data.TokensPerBatch() * ranks.world_size;
    pos.tokens += tokens;
    pos.next_batch += n;
    const bool epoch_end = pos.next_batch == batches_per_epoch;
    if (epoch_end) {
      ++pos.epoch;
      pos.next_batch = 0;
    }
    interval_loss += *loss;
    ++interval_steps;
    interval_tokens += tokens;
    const double run_tokens_per_s = (pos.tokens - tokens_at_start) / std::max(Seconds(start), 1e-9);
    if (pos.step % spec.log_every == 0 || pos.step == total_steps) {
      if (absl::Status s = mean_across_ranks(&interval_loss); !s.ok()) return s;
      log->Append({pos.step, epochs_done(), "train", interval_loss / interval_steps, lr,
                   interval_tokens / std::max(Seconds(interval_start), 1e-9), elapsed()});
      interval_loss = 0;
      interval_steps = interval_tokens = 0;
      interval_start = Clock::now();
    }

    const bool last = pos.step == total_steps;
    const bool validate = epoch_end || last || (spec.eval_every > 0 && pos.step % spec.eval_every == 0);
    bool improved = false;
    if (validate) {
      double valid_loss = EvaluateLoss(model, valid_data, spec.eval_batches, spec.precision, spec.device);
      if (absl::Status s = mean_across_ranks(&valid_loss); !s.ok()) return s;
      log->Append({pos.step, epochs_done(), "valid", valid_loss, lr, run_tokens_per_s, elapsed()});
      improved = valid_loss < pos.best_valid_loss;
      if (improved) {
        pos.best_valid_loss = valid_loss;
        pos.best_step = pos.step;
        pos.evals_since_best = 0;
        best_weights = CopyWeights(model);
      } else if (++pos.evals_since_best >= spec.patience && spec.patience > 0) {
        pos.early_stopped = true;
      }
      last_validation = absl::StrFormat(", valid bpc %.3f at step %d (best %.3f at step %d)", Bpc(valid_loss),
                                        pos.step, Bpc(pos.best_valid_loss), pos.best_step);
    }
    if (progress) {
      progress->Update(pos.step,
                       absl::StrFormat("loss %.3f, bpc %.3f, %.0f tokens/s%s", *loss, Bpc(*loss),
                                       run_tokens_per_s, last_validation),
                       /*now=*/validate);
    }
    pos.finished = last || pos.early_stopped;
    const bool pause = spec.stop_after > 0 && pos.step >= spec.stop_after;
    if (validate || pos.finished || pause || (spec.checkpoint_every > 0 && pos.step % spec.checkpoint_every == 0)) {
      if (absl::Status s = save(improved); !s.ok()) return s;
    }
    if (pause) break;
  }
  if (!best_weights.empty()) RestoreWeights(model, best_weights);

  TrainSummary summary;
  summary.steps = pos.step;
  summary.steps_this_run = pos.step - run_start_step;
  summary.epochs = epochs_done();
  summary.best_valid_loss = pos.best_valid_loss;
  summary.best_step = pos.best_step;
  summary.early_stopped = pos.early_stopped;
  summary.finished = pos.finished;
  summary.elapsed_s = elapsed();
  summary.tokens_per_s = (pos.tokens - tokens_at_start) / std::max(Seconds(start), 1e-9);
  summary.peak_rss_bytes = PeakRssBytes();
  if (progress) {
    progress->Finish(summary.steps_this_run == 0
                         ? std::string("the run had already ended; nothing left to do")
                         : absl::StrFormat("%d steps this run%s, %s peak resident memory", summary.steps_this_run,
                                           last_validation, runtime::Progress::FormatBytes(summary.peak_rss_bytes)));
  }
  return summary;
}

}  // namespace attn::train
