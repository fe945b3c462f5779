#include "lib/train/resume_state.h"

#include <cstdlib>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "lib/io/atomic_file.h"
#include "lib/train/optimizer.h"
#include "lib/train/tiny_model_for_test.h"
#include "lib/train/weights.h"

namespace attn::train {
namespace {

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

class OtherKind : public TinyModel {
 public:
  std::string Kind() const override { return "other"; }
};

RunIdentity Identity(model::LanguageModel& model) {
  return {model.Kind(), model.ConfigMetadata(), {{"lr", "0.001"}, {"max_steps", "2000"}}, 1};
}

struct Saved {
  std::string path;
  RunPosition position;
  std::vector<torch::Tensor> weights, best;
  double next_random = 0;  // what the generator draws after the save
};

Saved SaveOne(const std::string& name) {
  torch::manual_seed(3);
  TinyModel model;
  auto optimizer = MakeAdamW(model, 1e-3, 0.1);
  Saved saved;
  saved.path = TempPath(name);
  saved.position.step = 30;
  saved.position.epoch = 1;
  saved.position.next_batch = 7;
  saved.position.best_valid_loss = 1.25;
  saved.position.best_step = 20;
  saved.position.evals_since_best = 1;
  saved.position.tokens = 7680;
  saved.position.elapsed_s = 12.5;
  saved.position.early_stopped = true;
  saved.weights = CopyWeights(model);
  saved.best = CopyWeights(model);
  for (auto& t : saved.best) t.add_(1);
  EXPECT_TRUE(SaveResumeState(saved.path, Identity(model), saved.position, model, *optimizer, saved.best,
                              ThisProcessRandomStates(torch::kCPU))
                  .ok());
  saved.next_random = torch::rand({1}).item<double>();
  return saved;
}

TEST(ResumeState, RestoresWeightsPositionBestWeightsAndTheRandomStream) {
  const Saved saved = SaveOne("round_trip.state");
  torch::manual_seed(99);
  TinyModel model;
  auto optimizer = MakeAdamW(model, 1e-3, 0.1);
  std::vector<torch::Tensor> best;
  RunPosition p;
  const absl::Status s = LoadResumeState(saved.path, Identity(model), 0, model, *optimizer, &best, &p);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(p.step, 30);
  EXPECT_EQ(p.epoch, 1);
  EXPECT_EQ(p.next_batch, 7);
  EXPECT_EQ(p.best_valid_loss, 1.25);
  EXPECT_EQ(p.best_step, 20);
  EXPECT_EQ(p.evals_since_best, 1);
  EXPECT_EQ(p.tokens, 7680);
  EXPECT_EQ(p.elapsed_s, 12.5);
  EXPECT_FALSE(p.finished);
  EXPECT_TRUE(p.early_stopped);
  const std::vector<torch::Tensor> now = CopyWeights(model);
  ASSERT_EQ(now.size(), saved.weights.size());
  for (size_t i = 0; i < now.size(); ++i) {
    EXPECT_TRUE(torch::equal(now[i], saved.weights[i]));
    EXPECT_TRUE(torch::equal(best[i], saved.best[i]));
  }
  EXPECT_EQ(torch::rand({1}).item<double>(), saved.next_random);
  // A CPU run's state has no device fields: the format a CPU run writes is unchanged.
  torch::serialize::InputArchive archive;
  archive.load_from(saved.path);
  c10::IValue value;
  EXPECT_FALSE(archive.try_read("device", value));
  EXPECT_FALSE(archive.try_read("cuda_random_states", value));
}

TEST(ResumeState, AnotherRunIsRefusedInOneLineSayingWhatDiffers) {
  const Saved saved = SaveOne("other_run.state");
  TinyModel model;
  auto optimizer = MakeAdamW(model, 1e-3, 0.1);
  std::vector<torch::Tensor> best;
  RunPosition p;
  auto load = [&](const RunIdentity& identity, model::LanguageModel& m) {
    return LoadResumeState(saved.path, identity, 0, m, *optimizer, &best, &p);
  };
  RunIdentity changed = Identity(model);
  changed.recipe["max_steps"] = "800";
  absl::Status s = load(changed, model);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_NE(s.message().find("other settings (`max_steps` is 2000 in the saved run, 800 now)"),
            std::string::npos) << s;
  EXPECT_EQ(s.message().find('\n'), std::string::npos);

  changed = Identity(model);
  changed.world_size = 2;
  s = load(changed, model);
  EXPECT_NE(s.message().find("was written by a job of 1 rank(s) and this job has 2"), std::string::npos) << s;

  // A CPU run's random streams cannot continue on a GPU (dropout there draws from the CUDA
  // generator); nothing here needs a GPU to say so.
  changed = Identity(model);
  changed.device = torch::Device(torch::kCUDA);
  s = load(changed, model);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_NE(s.message().find("was written by a run on cpu and this run computes on cuda; its random streams "
                             "continue exactly only with `device`=cpu"),
            std::string::npos) << s;

  OtherKind other;
  auto other_optimizer = MakeAdamW(other, 1e-3, 0.1);
  s = LoadResumeState(saved.path, Identity(other), 0, other, *other_optimizer, &best, &p);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_NE(s.message().find("the resume state of a tiny model's run, and this run trains a other model"),
            std::string::npos) << s;
}

TEST(ResumeState, DescribesEveryDifference) {
  EXPECT_EQ(DescribeDifferences({{"a", "1"}, {"b", "2"}}, {{"a", "1"}, {"b", "2"}}), "");
  EXPECT_EQ(DescribeDifferences({{"a", "1"}, {"b", "2"}}, {{"a", "3"}, {"c", "4"}}),
            "`a` is 1 in the saved run, 3 now; `b` is 2 in the saved run, not set now; "
            "`c` is not set in the saved run, 4 now");
}

TEST(ResumeState, OldForeignAndMissingFilesAreClearErrors) {
  TinyModel model;
  auto optimizer = MakeAdamW(model, 1e-3, 0.1);
  std::vector<torch::Tensor> best;
  RunPosition p;
  auto load = [&](const std::string& path) {
    return LoadResumeState(path, Identity(model), 0, model, *optimizer, &best, &p);
  };
  EXPECT_TRUE(absl::IsNotFound(load(TempPath("missing.state"))));

  // Version 1: the position as a bare list of numbers.
  torch::serialize::OutputArchive old;
  old.write("recipe", c10::IValue(std::string("lr=0.001")));
  old.write("position", c10::IValue(std::vector<int64_t>{1, 0, 1, 0, 0, 128, 0, 0}));
  const std::string old_path = TempPath("old.state");
  old.save_to(old_path);
  absl::Status s = load(old_path);
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_NE(s.message().find("older version"), std::string::npos) << s;

  const std::string garbage = TempPath("garbage.state");
  ASSERT_TRUE(io::WriteFileAtomically(garbage, "not a state file").ok());
  s = load(garbage);
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_EQ(s.message().find('\n'), std::string::npos) << s;

  torch::serialize::OutputArchive foreign;
  foreign.write("something", c10::IValue(int64_t{1}));
  const std::string foreign_path = TempPath("foreign.state");
  foreign.save_to(foreign_path);
  s = load(foreign_path);
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_NE(s.message().find("is not a resume state"), std::string::npos) << s;
}

}  // namespace
}  // namespace attn::train
