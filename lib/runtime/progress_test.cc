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
  std::fclose(f);
}

}  // namespace
}  // namespace attn::runtime
