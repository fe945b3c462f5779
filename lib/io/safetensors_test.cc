#include "lib/io/safetensors.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"

#include "gtest/gtest.h"

namespace attn::io {
namespace {

// The message holds `part` (gtest's own; gmock is not linked).
::testing::AssertionResult Contains(absl::string_view text, absl::string_view part) {
  if (text.find(part) != absl::string_view::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" lacks \"" << part << "\"";
}

std::string Bytes(std::initializer_list<float> values) {
  std::string out(values.size() * 4, '\0');
  std::memcpy(out.data(), values.begin(), out.size());
  return out;
}

// A file image written by hand from the format's description, independent of the writer:
// header {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} then 1.0f, 2.0f.
std::string HandMadeImage(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + data;
}

TEST(SafetensorsTest, ParsesAHandMadeFile) {
  const std::string image = HandMadeImage(
      R"({"__metadata__":{"kind":"dense"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"I64","shape":[],"data_offsets":[8,16]}})",
      Bytes({1.0f, 2.0f}) + std::string("\x07\0\0\0\0\0\0\0", 8));
  absl::StatusOr<Safetensors> f = ParseSafetensors(image, "x.safetensors");
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_EQ(f->tensors.size(), 2u);
  EXPECT_EQ(f->tensors["a"].dtype, "F32");
  EXPECT_EQ(f->tensors["a"].shape, std::vector<int64_t>({2}));
  EXPECT_EQ(f->tensors["a"].data, Bytes({1.0f, 2.0f}));
  EXPECT_TRUE(f->tensors["b"].shape.empty());
  EXPECT_EQ(f->tensors["b"].data[0], 7);
  EXPECT_EQ(f->metadata.at("kind"), "dense");
}

TEST(SafetensorsTest, WriterProducesTheStandardLayout) {
  Safetensors f;
  f.tensors["b"] = {"F32", {1}, Bytes({3.0f})};
  f.tensors["a"] = {"F32", {2, 1}, Bytes({1.0f, 2.0f})};
  f.metadata["kind"] = "sparse";
  absl::StatusOr<std::string> image = SerializeSafetensors(f);
  ASSERT_TRUE(image.ok()) << image.status();
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | static_cast<unsigned char>((*image)[i]);
  EXPECT_EQ(header_size % 8, 0u);  // padded, as the reference writer does
  const std::string header = image->substr(8, header_size);
  EXPECT_EQ(header[0], '{');
  EXPECT_TRUE(Contains(header, R"("a":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]})"));
  EXPECT_TRUE(Contains(header, R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]})"));
  EXPECT_TRUE(Contains(header, R"("__metadata__":{"kind":"sparse"})"));
  EXPECT_EQ(image->substr(8 + header_size), Bytes({1.0f, 2.0f, 3.0f}));  // name order

  absl::StatusOr<Safetensors> back = ParseSafetensors(*image, "mem");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->tensors["a"].data, f.tensors["a"].data);
  EXPECT_EQ(back->tensors["b"].shape, f.tensors["b"].shape);
  EXPECT_EQ(back->metadata, f.metadata);
}

TEST(SafetensorsTest, WriterRejectsSizeMismatch) {
  Safetensors f;
  f.tensors["a"] = {"F32", {3}, Bytes({1.0f, 2.0f})};
  EXPECT_TRUE(Contains(SerializeSafetensors(f).status().message(), "8 bytes for F32 [3]"));
}

TEST(SafetensorsTest, FileRoundTripAndMissingFile) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/t.safetensors";
  Safetensors f;
  f.tensors["w"] = {"BF16", {2}, std::string("\x80\x3f\x00\x40", 4)};
  ASSERT_TRUE(WriteSafetensors(path, f).ok());
  absl::StatusOr<Safetensors> back = ReadSafetensors(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->tensors["w"].data, f.tensors["w"].data);
  absl::StatusOr<Safetensors> missing = ReadSafetensors(path + ".nope");
  EXPECT_FALSE(missing.ok());
  EXPECT_TRUE(Contains(missing.status().message(), ".nope"));
}

struct BadCase {
  const char* name;
  std::string image;
  const char* message;
};

TEST(SafetensorsTest, RejectsCorruptFilesWithClearErrors) {
  const std::string ok_data = Bytes({1.0f, 2.0f});
  const std::string ok_header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string good = HandMadeImage(ok_header, ok_data);
  std::string huge_size = good;
  huge_size[0] = static_cast<char>(0xff);
  const BadCase cases[] = {
      {"empty", "", "truncated"},
      {"short", std::string("\x10\0\0", 3), "truncated"},
      {"header beyond file", good.substr(0, 20), "runs beyond the end"},
      {"huge header size", std::string("\x00\x00\x00\x00\x00\x00\x00\x01", 8) + "{}", "implausibly large"},
      {"truncated data", good.substr(0, good.size() - 1), "out of range"},
      {"bad json", HandMadeImage("{\"a\":", ok_data), "not valid JSON"},
      {"not an object", HandMadeImage("[1,2]", ""), "not a JSON object"},
      {"unknown dtype", HandMadeImage(R"({"a":{"dtype":"F17","shape":[2],"data_offsets":[0,8]}})", ok_data),
       "unknown dtype \"F17\""},
      {"missing field", HandMadeImage(R"({"a":{"dtype":"F32","shape":[2]}})", ok_data), "missing \"data_offsets\""},
      {"negative dim", HandMadeImage(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", ok_data),
       "negative dimension"},
      {"shape mismatch", HandMadeImage(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", ok_data),
       "do not hold F32 [3]"},
      {"reversed offsets", HandMadeImage(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", ok_data),
       "out of range"},
      {"overlap", HandMadeImage(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", ok_data),
       "overlaps"},
      {"hole", HandMadeImage(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", ok_data), "unused bytes"},
      {"trailing", HandMadeImage(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", ok_data),
       "trailing bytes"},
      {"metadata not string", HandMadeImage(R"({"__metadata__":{"k":1}})", ""), "not a string"},
      {"entry not object", HandMadeImage(R"({"a":3})", ""), "not an object"},
      {"duplicate tensor", HandMadeImage(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                         R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", ok_data),
       "the header names \"a\" twice"},
      {"duplicate metadata", HandMadeImage(R"({"__metadata__":{"k":"1","k":"2"}})", ""), "names \"k\" twice"},
      {"duplicate field", HandMadeImage(R"({"a":{"dtype":"F32","dtype":"F64","shape":[2],"data_offsets":[0,8]}})",
                                        ok_data),
       "names \"dtype\" twice"},
      {"element count overflows",
       HandMadeImage(R"({"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}})", ok_data),
       "shape overflows"},
      {"byte count overflows",
       HandMadeImage(R"({"a":{"dtype":"F32","shape":[4294967296,2147483648],"data_offsets":[0,8]}})", ok_data),
       "8 bytes do not hold F32 [4294967296,2147483648]"},
      {"dimension beyond int64",
       HandMadeImage(R"({"a":{"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,8]}})", ok_data),
       "dimension too large"},
      {"offset beyond the data",
       HandMadeImage(R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,18446744073709551615]}})", ok_data),
       "out of range"},
      {"name with a line break", HandMadeImage(R"({"a\nb":3})", ""), "tensor \"a\\nb\": entry is not an object"},
      {"binary header", HandMadeImage(std::string("\x93\n\0{", 4), ""), "not valid JSON"},
      {"metadata not object", HandMadeImage(R"({"__metadata__":[]})", ""), "__metadata__ is not an object"},
  };
  ASSERT_TRUE(ParseSafetensors(good, "ok").ok());
  for (const BadCase& c : cases) {
    absl::StatusOr<Safetensors> f = ParseSafetensors(c.image, "ckpt.safetensors");
    ASSERT_FALSE(f.ok()) << c.name;
    EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_TRUE(Contains(f.status().message(), "ckpt.safetensors")) << c.name;
    EXPECT_TRUE(Contains(f.status().message(), c.message)) << c.name << ": " << f.status();
    EXPECT_FALSE(Contains(f.status().message(), "\n")) << c.name << ": more than one line";
  }
}

}  // namespace
}  // namespace attn::io
