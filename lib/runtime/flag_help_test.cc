#include "lib/runtime/flag_help.h"

#include "gtest/gtest.h"

namespace attn::runtime {
namespace {

TEST(FlagHelp, OwnFlagsOnlyTheToolsFirst) {
  const std::vector<FlagDescription> flags = {
      {"logtostderr", "bool", "log to stderr", "false", "./src/logging.cc"},
      {"caffe2_log_level", "int32", "c10", "2", "./c10/util/Logging.cpp"},
      {"helpfull", "bool", "all flags", "false", "/build/gflags/src/gflags_reporting.cc"},
      {"threads", "int32", "worker threads; 0 means all cores", "0", "tools/tool_main.cc"},
      {"seq_len", "int64", "bytes per training window", "128", "tools/train_flags.cc"},
      {"dropout", "double", "dropout", "0.10000000000000001", "tools/train_dense_main.cc"},
      {"log", "string", "training log", "", "tools/train_flags.cc"},
  };
  EXPECT_EQ(HelpText("train_dense", "train_dense --train=FILE", flags),
            "train_dense --train=FILE\n\nFlags:\n"
            "  --dropout=0.1  dropout\n"
            "  --log=\"\"  training log\n"
            "  --seq_len=128  bytes per training window\n"
            "  --threads=0  worker threads; 0 means all cores\n"
            "--helpfull lists every flag (also glog's and LibTorch's); --version shows the build.\n");
}

TEST(FlagHelp, OwnFlagsAreThoseOfThisRepository) {
  EXPECT_TRUE(IsOwnFlag({"x", "bool", "", "", "bench/model_step.cc"}));
  EXPECT_TRUE(IsOwnFlag({"x", "bool", "", "", "lib/dist/dist_test_worker.cc"}));
  EXPECT_FALSE(IsOwnFlag({"x", "bool", "", "", "./torch/csrc/lazy/core/config.cpp"}));
  EXPECT_FALSE(IsOwnFlag({"x", "bool", "", "", "src/logging.cc"}));
}

}  // namespace
}  // namespace attn::runtime
