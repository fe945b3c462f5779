#include "lib/train/train_command.h"

#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/dist/communicator.h"
#include "lib/io/atomic_file.h"
#include "lib/model/checkpoint.h"
#include "lib/runtime/option_names.h"
#include "lib/runtime/tool.h"
#include "lib/train/data_parallel.h"

namespace attn::train {
namespace {

// A file as it is now: absent, or an inode (an atomic rename makes a new one).
struct FileIdentity {
  bool exists = false;
  ino_t inode = 0;
  struct timespec modified {};
};

FileIdentity Identify(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return {};
  return {true, st.st_ino, st.st_mtim};
}

bool Same(const FileIdentity& a, const FileIdentity& b) {
  return a.exists == b.exists && a.inode == b.inode && a.modified.tv_sec == b.modified.tv_sec &&
         a.modified.tv_nsec == b.modified.tv_nsec;
}

// The files of a run, and what they were before it started.
class RunFiles {
 public:
  explicit RunFiles(const TrainSpec& spec)
      : paths_{spec.output, spec.StatePath(), spec.LogPath()} {
    for (const std::string& path : paths_) before_.push_back(Identify(path));
  }

  bool AnyExisted() const { return before_[0].exists || before_[1].exists; }

  // Removes each file this run wrote.
  void RemoveWritten() const {
    for (size_t i = 0; i < paths_.size(); ++i) {
      if (!Same(before_[i], Identify(paths_[i]))) std::remove(paths_[i].c_str());
    }
  }

 private:
  std::vector<std::string> paths_;
  std::vector<FileIdentity> before_;
};

// The run itself, with the files it may not replace.
absl::Status RunJob(const TrainOptions& options, const RunFiles& files) {
  TrainSpec spec = options.spec;
  if (files.AnyExisted() && !spec.resume && !spec.overwrite) {
    return absl::AlreadyExistsError(absl::StrCat(
        spec.output, ": a run is already there (its checkpoint or resume state ", spec.StatePath(),
        "); continue it with ", runtime::Opt("resume"), ", or replace it with ", runtime::Opt("overwrite")));
  }
  // An unwritable checkpoint, state or log fails now, not after the training (a probe's
  // temporary file goes with it).
  for (const std::string& path : {spec.output, spec.StatePath(), spec.LogPath()}) {
    if (path.empty()) continue;
    if (absl::StatusOr<io::AtomicFile> probe = io::AtomicFile::Open(path); !probe.ok()) return probe.status();
  }
  absl::StatusOr<std::unique_ptr<dist::Communicator>> comm = dist::Communicator::Connect(options.dist);
  if (!comm.ok()) return comm.status();
  torch::manual_seed(spec.seed);
  absl::StatusOr<std::shared_ptr<model::LanguageModel>> model = options.make_model();
  if (!model.ok()) return model.status();

  RankInfo ranks;
  TrainHooks hooks;
  hooks.after_gradients = options.after_gradients;
  hooks.save_checkpoint = [](const std::string& path, model::LanguageModel& m,
                             const std::map<std::string, std::string>& metadata) {
    return model::SaveCheckpoint(path, m, metadata);
  };
  if (absl::Status s = ConfigureDataParallel(**comm, **model, &spec.device, &ranks, &hooks); !s.ok()) {
    return s;
  }
  absl::StatusOr<TrainSummary> summary = Train(**model, spec, ranks, hooks);
  if (!summary.ok()) return summary.status();
  if ((*comm)->is_main()) {
    std::string allreduce;
    if (ranks.world_size > 1 && summary->steps_this_run > 0) {
      allreduce = absl::StrFormat("; %d ranks, gradient all-reduce %.1f ms/step", ranks.world_size,
                                  1e3 * (*comm)->gradient_seconds() / summary->steps_this_run);
    }
    runtime::Report(absl::StrCat(FormatSummary(*summary), allreduce, "; best model in ", spec.output));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RunTrain(const TrainOptions& options) {
  if (absl::Status s = options.spec.Validate(); !s.ok()) return s;
  const RunFiles files(options.spec);
  absl::Status status;
  try {
    status = RunJob(options, files);
  } catch (const std::exception& e) {
    status = runtime::StatusFromException(e);
  }
  if (!status.ok() && !options.spec.resume && options.dist.rank == 0) files.RemoveWritten();
  return status;
}

}  // namespace attn::train
