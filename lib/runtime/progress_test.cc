#include "lib/runtime/progress.h"

#include <cstdio>
#include <string>

#include "gtest/gtest.h"

namespace attn::runtime {
namespace {

std::string Captured(FILE* f) {
  std::rewind(f);
  std::string text;
  char buf[256];
  while (std::fgets(buf, sizeof buf, f) != nullptr) text += buf;
  return text;
}

TEST(Progress, FormatsBytesAndDurations) {
  EXPECT_EQ(Progress::FormatBytes(999), "999 B");
  EXPECT_EQ(Progress::FormatBytes(1500), "1.5 kB");
  EXPECT_EQ(Progress::FormatBytes(100e6), "100.0 MB");
  EXPECT_EQ(Progress::FormatDuration(62), "1:02");
  EXPECT_EQ(Progress::FormatDuration(3723), "1:02:03");
  EXPECT_EQ(Progress::FormatDuration(-1), "?");
}

TEST(Progress, PlainStreamGetsPeriodicLinesAndAFinalOne) {
  FILE* f = std::tmpfile();
  {
    Progress p("fetch", 1000, "B", /*line_interval_s=*/0.0, f);
    p.Update(250);
    p.Update(500, "attempt 1");
    p.Update(1000);
    p.Finish("done");
  }
  const std::string text = Captured(f);
  std::fclose(f);
  EXPECT_NE(text.find("fetch:  25.0% 250 B/1.0 kB"), std::string::npos) << text;
  EXPECT_NE(text.find("attempt 1"), std::string::npos) << text;
  EXPECT_NE(text.find("100.0%"), std::string::npos) << text;  
  EXPECT_EQ(text.find('\r'), std::string::npos) << "no terminal control codes in a log";
}

TEST(Progress, QuietBetweenIntervals) {
  FILE* f = std::tmpfile();
  Progress p("steps", 10, "", /*line_interval_s=*/3600.0, f);
  for (int i = 1; i <= 10; ++i) p.Update(i);
  EXPECT_EQ(Captured(f), "");
  p.Update(10, "valid bpc 1.5", /*now=*/true);
  EXPECT_NE(Captured(f).find("valid bpc 1.5"), std::string::npos) << "a result shows at once";
  std::fclose(f);
}

TEST(Progress, UnitsAreSpelledWithASpaceAndRatesReadably) {
  EXPECT_EQ(Progress::FormatRate(2010.4), "2010");
  EXPECT_EQ(Progress::FormatRate(47.26), "47.3");
  EXPECT_EQ(Progress::FormatRate(7.213), "7.21");
  FILE* f = std::tmpfile();
  {
    Progress p("train_dense", 200, "steps", /*line_interval_s=*/0.0, f);
    p.Update(47);
    p.Finish();
  }
  const std::string text = Captured(f);
  std::fclose(f);
  EXPECT_NE(text.find("train_dense:  23.5% 47 steps/200 steps, "), std::string::npos) << text;
  EXPECT_NE(text.find(" steps/s, "), std::string::npos) << text;
  EXPECT_EQ(text.find("e+"), std::string::npos) << text;
}

TEST(Progress, WorkDoneBeforeAResumeHasNoRate) {
  FILE* f = std::tmpfile();
  {
    Progress p("train_dense", 2000, "steps", /*line_interval_s=*/0.0, f);
    p.SetAlreadyDone(2000);
    p.Update(2000);
    p.Finish("nothing left to do");
  }
  const std::string text = Captured(f);
  std::fclose(f);
  EXPECT_NE(text.find("100.0% 2000 steps/2000 steps, 0:00, nothing left to do"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("steps/s"), std::string::npos) << text;
}

TEST(Progress, LiveBarOnlyForTheLastStageOnATerminalOutsideAParallelMake) {
  EXPECT_TRUE(Progress::DrawsLiveBar(true, false, nullptr));
  EXPECT_TRUE(Progress::DrawsLiveBar(true, false, ""));
  EXPECT_TRUE(Progress::DrawsLiveBar(true, false, " --no-print-directory"));
  EXPECT_FALSE(Progress::DrawsLiveBar(false, false, nullptr)) << "stderr is a file";
  EXPECT_FALSE(Progress::DrawsLiveBar(true, true, nullptr)) << "a stage before the last";
  EXPECT_FALSE(Progress::DrawsLiveBar(true, false, "-j2 --jobserver-auth=3,4"));
  EXPECT_FALSE(Progress::DrawsLiveBar(true, false, " --jobserver-fds=3,4 -j"));
}

}  // namespace
}  // namespace attn::runtime
