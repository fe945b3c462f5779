#include "lib/model/describe_command.h"

#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "lib/io/atomic_file.h"
#include "lib/model/checkpoint.h"
#include "lib/model/dense_model.h"
#include "lib/model/sparse_model.h"
#include "lib/model/test_helpers.h"

namespace attn::model {
namespace {

TEST(DescribeTest, DenseWithPatternsAndTrainingState) {
  DenseConfig c;
  c.d_model = 8;
  c.heads = 2;
  c.layers = 2;
  c.ff = 4;
  c.max_len = 16;
  c.patterns = *HeadPatterns::Make({{"near", {1, 0, {}}}}, {{"near", "dense"}, {"dense", "dense"}});
  auto model = *MakeDenseModel(c);
  const std::string path = TempPath("described.safetensors");
  ASSERT_TRUE(SaveCheckpoint(path, *model,
                             {{"step", "40"}, {"valid_bpc", "2.5"}, {"seq_len", "12"}, {"note", "hello"}})
                  .ok());
  absl::StatusOr<std::string> text = DescribeCheckpoint(path);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_TRUE(Contains(*text, "checkpoint: " + path + "\nkind: dense\nconfiguration:\n"));
  EXPECT_TRUE(Contains(*text, "  d_model: 8\n"));
  EXPECT_TRUE(Contains(*text, "  stochastic_depth: 0.1\n"));
  // At L = 12: 78 causal pairs per head; "near" allows 12 + 11 = 23: (23 + 3 * 78) / (4 * 78).
  EXPECT_TRUE(Contains(*text, "attention patterns: 0.8237 of causal pairs computed at seq_len 12 (the training length)\n"));
  EXPECT_TRUE(Contains(*text, "  near: window 1 (0.2949 of causal pairs)\n"));  // 23 / 78
  EXPECT_TRUE(Contains(*text, "  dense: window unbounded (1.0000 of causal pairs)\n"));
  EXPECT_TRUE(Contains(*text, "  layer 0: near dense\n  layer 1: dense dense\n"));
  const int64_t d = 8, n = 2, ff = 4;
  const int64_t parameters = 256 * d + 1 + 2 * (d * d + d) + 2 * d +
                             n * (3 * d * d + 3 * d + d * d + d + d * 2 * ff + 2 * ff + 2 * ff * d + d + 4 * d + 2) +
                             2 * d + 256;
  EXPECT_TRUE(Contains(*text, "parameters: " + std::to_string(parameters) + " (tied: output.weight = embedding.weight)\n"));
  EXPECT_TRUE(Contains(*text, "training: 40 steps best validation 2.5000 bpc at seq_len 12\n"));
  EXPECT_TRUE(Contains(*text, "metadata:\n  note: hello\n"));
  EXPECT_TRUE(Contains(*text, "  output.weight F32 [256, 8] (= embedding.weight)\n"));
  EXPECT_TRUE(Contains(*text, "  pos_encoder.pe F32 [16, 8]\n"));
  EXPECT_FALSE(Contains(*text, "  patterns:"));  // shown as the patterns section, not as text
  // parameters + pe + the tied alias; 4 bytes each.
  const int64_t tensors = static_cast<int64_t>(model->named_parameters().size()) + 2;
  EXPECT_TRUE(Contains(*text, "tensors: " + std::to_string(tensors) + " (" +
                                  std::to_string(4 * (parameters + 16 * 8 + 256 * 8)) + " bytes)\n"));

  const std::string out = TempPath("described.txt");
  ASSERT_TRUE(RunDescribe({path, out}).ok());
  EXPECT_EQ(*io::ReadFile(out), *text);
}

TEST(DescribeTest, SparseWithoutTrainingState) {
  SparseConfig c;
  c.d_model = 16;
  c.heads = 4;
  c.layers = 3;
  c.ff = 8;
  c.max_len = 32;
  auto model = *MakeSparseModel(c);
  const std::string path = TempPath("sparse.safetensors");
  ASSERT_TRUE(SaveCheckpoint(path, *model, {}).ok());
  absl::StatusOr<std::string> text = DescribeCheckpoint(path);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_TRUE(Contains(*text, "kind: sparse\n"));
  EXPECT_TRUE(Contains(*text, "  head_patterns: 0,3,1,2\n"));
  EXPECT_TRUE(Contains(*text, "computed at seq_len 32 (max_len; no training length recorded)\n"));
  EXPECT_TRUE(Contains(*text, "  global: stride 16, anchors 0 0.1 0.2 0.3 0.382 0.5 0.618 0.7 0.8 0.9 1 ("));
  EXPECT_TRUE(Contains(*text, "  layer 0: local8 local16 strided global\n  layer 1: as layer 0\n  layer 2: as layer 1\n"));
  EXPECT_TRUE(Contains(*text, "training: not recorded\n"));
  EXPECT_FALSE(Contains(*text, "metadata:"));
}

TEST(DescribeTest, BadCheckpointsAreErrorsNamingThem) {
  EXPECT_TRUE(Contains(DescribeCheckpoint(TempPath("absent.safetensors")).status().message(), "absent.safetensors"));
  const std::string junk = TempPath("junk.safetensors");
  ASSERT_TRUE(io::WriteFileAtomically(junk, "not a checkpoint").ok());
  EXPECT_TRUE(Contains(DescribeCheckpoint(junk).status().message(), "junk.safetensors"));
  EXPECT_FALSE(RunDescribe({junk, TempPath("never.txt")}).ok());
  EXPECT_FALSE(io::ReadFile(TempPath("never.txt")).ok());
}

}  // namespace
}  // namespace attn::model
