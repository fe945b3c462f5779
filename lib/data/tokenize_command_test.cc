#include "lib/data/tokenize_command.h"

#include <stdlib.h>

#include <cstdio>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/io/atomic_file.h"
#include "lib/io/temp_dir_for_test.h"

namespace attn::data {
namespace {

std::string Read(const std::string& path) {
  absl::StatusOr<std::string> data = io::ReadFile(path);
  EXPECT_TRUE(data.ok()) << data.status();
  return data.ok() ? *data : "";
}

// 1000 bytes covering every byte value.
std::string Corpus() {
  std::string bytes;
  for (int i = 0; i < 1000; ++i) bytes.push_back(static_cast<char>((i * 37 + 11) % 256));
  return bytes;
}

std::string Captured(FILE* f) {
  std::rewind(f);
  std::string text;
  char buf[256];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  return text;
}

TEST(RunTokenize, DefaultSplitWritesExactSizesThatConcatenateToTheInput) {
  const std::string dir = io::NewTempDir();
  const std::string bytes = Corpus();
  ASSERT_TRUE(io::WriteFileAtomically(dir + "/corpus", bytes).ok());
  TokenizeOptions options;
  options.input = dir + "/corpus";
  options.output_prefix = dir + "/out";
  ASSERT_TRUE(RunTokenize(options).ok());
  EXPECT_EQ(io::ListDir(dir),
            (std::vector<std::string>{"corpus", "out.test.u8", "out.train.u8", "out.valid.u8"}));
  // floor(0.05 * 1000) = 50 each, train 900.
  EXPECT_EQ(Read(dir + "/out.train.u8"), bytes.substr(0, 900));
  EXPECT_EQ(Read(dir + "/out.valid.u8"), bytes.substr(900, 50));
  EXPECT_EQ(Read(dir + "/out.test.u8"), bytes.substr(950, 50));
}

TEST(RunTokenize, FractionAndCountSplitsAndIdsFiles) {
  const std::string dir = io::NewTempDir();
  const std::string bytes = Corpus();
  ASSERT_TRUE(io::WriteFileAtomically(dir + "/corpus", bytes).ok());
  TokenizeOptions options;
  options.input = dir + "/corpus";
  options.output_prefix = dir + "/a";
  options.splits = "0.9,0.1";
  ASSERT_TRUE(RunTokenize(options).ok());
  EXPECT_EQ(Read(dir + "/a.train.u8"), bytes.substr(0, 900));
  EXPECT_EQ(Read(dir + "/a.valid.u8"), bytes.substr(900));

  options.output_prefix = dir + "/b";
  options.splits = "998,1,1";
  options.format = "ids";
  ASSERT_TRUE(RunTokenize(options).ok());
  const int last = static_cast<unsigned char>(bytes[999]);
  EXPECT_EQ(Read(dir + "/b.test.ids"), std::to_string(last) + "\n");
  EXPECT_EQ(io::ListDir(dir), (std::vector<std::string>{"a.train.u8", "a.valid.u8", "b.test.ids",
                                                    "b.train.ids", "b.valid.ids", "corpus"}));
}

TEST(RunTokenize, StatsPrintsOneRowPerSplitAndAll) {
  const std::string dir = io::NewTempDir();
  // train "aabb" (1 bit), valid "cccc" (0 bits); all: p = 1/4,1/4,1/2 -> 1.5 bits.
  ASSERT_TRUE(io::WriteFileAtomically(dir + "/corpus", "aabbcccc").ok());
  TokenizeOptions options;
  options.input = dir + "/corpus";
  options.splits = "4,4";
  options.stats = true;
  FILE* out = std::tmpfile();
  options.stats_out = out;
  ASSERT_TRUE(RunTokenize(options).ok());
  EXPECT_EQ(Captured(out),
            "split\tbytes\tdistinct_tokens\tentropy_bits_per_byte\n"
            "train\t4\t2\t1.000000\n"
            "valid\t4\t1\t0.000000\n"
            "all\t8\t3\t1.500000\n");
  std::fclose(out);
  EXPECT_EQ(io::ListDir(dir), std::vector<std::string>{"corpus"}) << "--stats alone writes no files";
}

TEST(RunTokenize, BadInputsFailBeforeWritingAnything) {
  const std::string dir = io::NewTempDir();
  ASSERT_TRUE(io::WriteFileAtomically(dir + "/corpus", Corpus()).ok());
  ASSERT_TRUE(io::WriteFileAtomically(dir + "/empty", "").ok());
  ASSERT_TRUE(io::WriteFileAtomically(dir + "/tiny", "0123456789").ok());
  struct Case {
    std::string input, splits, format;
    bool decode, stats;
    absl::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"corpus", "0.9,0.2", "u8", false, false, absl::StatusCode::kInvalidArgument, "sum to 1.1"},
      {"corpus", "900,200", "u8", false, false, absl::StatusCode::kInvalidArgument,
       "sums to 1100 bytes but the input has 1000"},
      {"corpus", "900,50", "u8", false, false, absl::StatusCode::kInvalidArgument,
       "sums to 950 bytes"},
      {"corpus", "abc,1", "u8", false, false, absl::StatusCode::kInvalidArgument, "'abc'"},
      {"corpus", "", "bytes", false, false, absl::StatusCode::kInvalidArgument, "`format`=bytes"},
      {"corpus", "", "u8", true, false, absl::StatusCode::kInvalidArgument, "`decode`"},
      {"empty", "", "u8", false, false, absl::StatusCode::kFailedPrecondition, "is empty"},
      {"empty", "", "u8", false, true, absl::StatusCode::kFailedPrecondition, "is empty"},
      {"tiny", "", "u8", false, false, absl::StatusCode::kInvalidArgument,
       "tiny: split 'valid' of a 10-byte input would be empty"},
      {"missing", "", "u8", false, false, absl::StatusCode::kNotFound, "missing"},
  };
  for (const Case& c : cases) {
    TokenizeOptions options;
    options.input = dir + "/" + c.input;
    options.output_prefix = dir + "/out";
    options.splits = c.splits;
    options.format = c.format;
    options.decode = c.decode;
    options.stats = c.stats;
    const absl::Status status = RunTokenize(options);
    EXPECT_EQ(status.code(), c.code) << c.input << " " << c.splits << ": " << status;
    EXPECT_NE(status.message().find(c.message), std::string::npos)
        << status << " wanted " << c.message;
    EXPECT_EQ(io::ListDir(dir), (std::vector<std::string>{"corpus", "empty", "tiny"}));
  }
}

TEST(RunTokenize, FlagCombinationsThatMakeNoSense) {
  TokenizeOptions splits_without_output;
  splits_without_output.splits = "0.9,0.1";
  EXPECT_EQ(RunTokenize(splits_without_output).code(), absl::StatusCode::kInvalidArgument);
  TokenizeOptions stdout_prefix;
  stdout_prefix.output_prefix = "-";
  EXPECT_EQ(RunTokenize(stdout_prefix).code(), absl::StatusCode::kInvalidArgument);
  TokenizeOptions decode_stats;
  decode_stats.decode = true;
  decode_stats.stats = true;
  EXPECT_EQ(RunTokenize(decode_stats).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attn::data
