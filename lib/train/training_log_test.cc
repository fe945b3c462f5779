#include "lib/train/training_log.h"

#include <cmath>
#include <string>

#include "gtest/gtest.h"
#include "lib/io/atomic_file.h"

namespace attn::train {
namespace {

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

TEST(TrainingLogTest, BpcIsNatsOverLnTwo) {
  EXPECT_DOUBLE_EQ(Bpc(std::log(2.0)), 1.0);
  EXPECT_NEAR(Bpc(1.0), 1.4426950408889634, 1e-15);
}

TEST(TrainingLogTest, HeaderAndRows) {
  const std::string path = TempPath("log.tsv");
  {
    auto log = TrainingLog::Open(path, /*resume=*/false, 0);
    ASSERT_TRUE(log.ok()) << log.status();
    log->Append({10, 0.5, "train", std::log(2.0) * 2, 1e-3, 1234.56, 7.5});
    EXPECT_FALSE(io::ReadFile(path).ok()) << "nothing is written before the commit";
    ASSERT_TRUE(log->Commit().ok());
  }
  auto text = io::ReadFile(path);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text,
            "step\tepoch\tsplit\tloss\tbpc\tlr\ttokens_per_s\telapsed_s\n"
            "10\t0.5000\ttrain\t1.386294\t2.000000\t0.001\t1234.6\t7.500\n");
}

TEST(TrainingLogTest, ResumeDropsRowsAfterTheResumedStep) {
  const std::string path = TempPath("resume.tsv");
  {
    auto log = TrainingLog::Open(path, false, 0);
    ASSERT_TRUE(log.ok());
    for (int step : {1, 2, 3, 4}) log->Append({step, 0, "train", 1, 0, 0, 0});
    ASSERT_TRUE(log->Commit().ok());
  }
  {
    auto log = TrainingLog::Open(path, /*resume=*/true, /*keep_through_step=*/2);
    ASSERT_TRUE(log.ok());
    log->Append({3, 0, "valid", 1, 0, 0, 0});
    ASSERT_TRUE(log->Commit().ok());
  }
  auto text = io::ReadFile(path);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text,
            "step\tepoch\tsplit\tloss\tbpc\tlr\ttokens_per_s\telapsed_s\n"
            "1\t0.0000\ttrain\t1.000000\t1.442695\t0\t0.0\t0.000\n"
            "2\t0.0000\ttrain\t1.000000\t1.442695\t0\t0.0\t0.000\n"
            "3\t0.0000\tvalid\t1.000000\t1.442695\t0\t0.0\t0.000\n");
}

}  // namespace
}  // namespace attn::train
