#include "lib/train/train_spec.h"

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace attn::train {
namespace {

TrainSpec Valid() {
  TrainSpec spec;
  spec.train = "train.u8";
  spec.valid = "valid.u8";
  spec.output = "model.safetensors";
  return spec;
}

void ExpectRefused(const std::function<void(TrainSpec&)>& change, const std::string& fragment) {
  TrainSpec spec = Valid();
  change(spec);
  const absl::Status s = spec.Validate();
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_NE(s.message().find(fragment), std::string::npos) << s << " lacks " << fragment;
}

TEST(TrainSpec, ADefaultSpecWithItsFilesIsValid) {
  EXPECT_TRUE(Valid().Validate().ok()) << Valid().Validate();
  EXPECT_EQ(Valid().StatePath(), "model.safetensors.state");
  EXPECT_EQ(Valid().LogPath(), "model.safetensors.log.tsv");
  TrainSpec spec = Valid();
  spec.log = "run.tsv";
  EXPECT_EQ(spec.LogPath(), "run.tsv");
}

TEST(TrainSpec, FilesAreRequiredAndNotStdout) {
  ExpectRefused([](TrainSpec& s) { s.train.clear(); }, "`train` is required");
  ExpectRefused([](TrainSpec& s) { s.valid.clear(); }, "`valid` is required");
  ExpectRefused([](TrainSpec& s) { s.output.clear(); }, "`output` is required");
  ExpectRefused([](TrainSpec& s) { s.output = "-"; }, "`output`=- is not allowed");
  ExpectRefused([](TrainSpec& s) { s.log = "-"; }, "`log`=- is not allowed");
  ExpectRefused([](TrainSpec& s) { s.resume = s.overwrite = true; }, "not both");
}

TEST(TrainSpec, NumbersMustBeFiniteAndInRange) {
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  ExpectRefused([&](TrainSpec& s) { s.lr = nan; }, "`lr`=nan must be a finite number > 0");
  ExpectRefused([&](TrainSpec& s) { s.lr = inf; }, "`lr`=inf");
  ExpectRefused([](TrainSpec& s) { s.lr = 0; }, "`lr`=0");
  ExpectRefused([&](TrainSpec& s) { s.clip_norm = nan; }, "`clip_norm`=nan");
  ExpectRefused([&](TrainSpec& s) { s.weight_decay = -inf; }, "`weight_decay`=-inf");
  ExpectRefused([&](TrainSpec& s) { s.min_lr = nan; }, "`min_lr`=nan");
  ExpectRefused([](TrainSpec& s) { s.min_lr = 1; }, "`min_lr`=1 is above `lr`=0.001");
  ExpectRefused([](TrainSpec& s) { s.seq_len = 0; }, "`seq_len`=0 must be at least 1");
  ExpectRefused([](TrainSpec& s) { s.grad_accum = -2; }, "`grad_accum`=-2 must be at least 1");
  ExpectRefused([](TrainSpec& s) { s.patience = -1; }, "`patience`=-1 must not be negative");
  ExpectRefused([](TrainSpec& s) { s.stop_after = -1; }, "`stop_after`=-1 must not be negative");
}

TEST(TrainSpec, TheRecipeIsWhatAResumedRunMustShare) {
  TrainSpec a = Valid(), b = Valid();
  b.stop_after = 10;  // how this run goes, not the recipe
  b.checkpoint_every = 5;
  b.train = "other.u8";
  EXPECT_EQ(a.Recipe(), b.Recipe());
  b.max_steps = 800;
  EXPECT_NE(a.Recipe(), b.Recipe());
  EXPECT_EQ(b.Recipe().at("max_steps"), "800");
  EXPECT_EQ(a.Recipe().at("precision"), "fp32");
}

}  // namespace
}  // namespace attn::train
