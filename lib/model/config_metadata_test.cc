#include "lib/model/config_metadata.h"

#include <string>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "lib/model/attention_patterns.h"
#include "lib/model/test_helpers.h"

namespace attn::model {
namespace {

struct Toy {
  int64_t width = 4;
  double rate = 0.5;
  std::string name = "toy";
  int64_t extra = 7;  // added later: older metadata lacks it
};

const ConfigFields<Toy>& ToyFields() {
  static const auto* fields = new ConfigFields<Toy>{
      {"width", &Toy::width, 1, 100},
      {"rate", &Toy::rate, 0, 1},
      {"name", &Toy::name},
      {"extra", &Toy::extra, 0, 10, /*optional=*/true},
  };
  return *fields;
}

TEST(ConfigMetadataTest, RoundTripAndOptionalFields) {
  Toy t;
  t.width = 12;
  t.rate = 0.1;
  t.name = "a b";
  const Metadata m = FieldsToMetadata(ToyFields(), t);
  // An optional field at its default is not written.
  EXPECT_EQ(m, (Metadata{{"width", "12"}, {"rate", "0.1"}, {"name", "a b"}}));
  absl::StatusOr<Toy> back = FieldsFromMetadata(ToyFields(), m);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->width, 12);
  EXPECT_EQ(back->rate, 0.1);
  EXPECT_EQ(back->name, "a b");
  EXPECT_EQ(back->extra, 7);
  t.extra = 3;
  EXPECT_EQ(FieldsToMetadata(ToyFields(), t).at("extra"), "3");
  EXPECT_EQ(FieldsFromMetadata(ToyFields(), FieldsToMetadata(ToyFields(), t))->extra, 3);
  EXPECT_EQ(FieldKeys(ToyFields()), (std::vector<std::string>{"width", "rate", "name", "extra"}));
}

TEST(ConfigMetadataTest, HostileValuesAreErrorsNamingTheKey) {
  const Metadata good = {{"width", "12"}, {"rate", "0.1"}, {"name", "x"}};
  struct Case {
    std::string key, value, message;
  };
  const Case cases[] = {
      {"width", "abc", "metadata \"width\" = \"abc\" is not an integer"},
      {"width", "99999999999999999999", "metadata \"width\" = \"99999999999999999999\" is not an integer"},
      {"width", "12.5", "is not an integer"},
      {"width", "", "is not an integer"},
      {"width", "0", "width = 0 must be positive"},
      {"width", "4000000", "width = 4000000 must be at most 100"},
      {"width", "-9223372036854775808", "must be positive"},
      {"rate", "nan", "rate = nan must be in [0, 1)"},
      {"rate", "inf", "must be in [0, 1)"},
      {"rate", "1", "rate = 1 must be in [0, 1)"},
      {"rate", "0x", "metadata \"rate\" = \"0x\" is not a number"},
      {"extra", "11", "extra = 11 must be at most 10"},
  };
  for (const Case& c : cases) {
    Metadata m = good;
    m[c.key] = c.value;
    absl::StatusOr<Toy> t = FieldsFromMetadata(ToyFields(), m);
    EXPECT_FALSE(t.ok()) << c.key << "=" << c.value;
    EXPECT_TRUE(Contains(t.status().message(), c.message)) << c.key << "=" << c.value;
  }
  Metadata m = good;
  m.erase("rate");
  EXPECT_TRUE(Contains(FieldsFromMetadata(ToyFields(), m).status().message(), "metadata lacks \"rate\""));
}

TEST(ConfigMetadataTest, ValidateFieldsChecksRanges) {
  Toy t;
  EXPECT_TRUE(ValidateFields(ToyFields(), t).ok());
  t.rate = -0.01;
  EXPECT_TRUE(Contains(ValidateFields(ToyFields(), t).message(), "rate = -0.01 must be in [0, 1)"));
  t = Toy();
  t.width = 101;
  EXPECT_TRUE(Contains(ValidateFields(ToyFields(), t).message(), "width = 101 must be at most 100"));
  EXPECT_TRUE(Contains(CheckDouble("loss", std::nan(""), 0, kNoLimit).message(), "loss = nan must be finite"));
  EXPECT_TRUE(CheckDouble("loss", 3.5, 0, kNoLimit).ok());
  EXPECT_FALSE(CheckDouble("loss", kNoLimit, 0, kNoLimit).ok());
}

TEST(ConfigMetadataTest, HeadsDivideAnEvenWidth) {
  EXPECT_TRUE(CheckHeadsDivideWidth(16, 4).ok());
  EXPECT_TRUE(Contains(CheckHeadsDivideWidth(16, 3).message(), "heads = 3 must divide d_model = 16"));
  EXPECT_TRUE(Contains(CheckHeadsDivideWidth(9, 3).message(), "d_model = 9 must be even"));
}

TEST(ConfigMetadataTest, PatternsRoundTripThroughMetadata) {
  absl::StatusOr<HeadPatterns> p =
      HeadPatterns::Make({{"wide", {40, 0, {}}}}, {{"wide", "local8"}, {"global", "dense"}});
  ASSERT_TRUE(p.ok()) << p.status();
  const std::string text = PatternsMetadataText(*p);
  EXPECT_EQ(text.find('\n'), std::string::npos);  // compact
  absl::StatusOr<HeadPatterns> back = PatternsFromMetadata({{kPatternsKey, text}}, 2, 2);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == *p);
  EXPECT_TRUE(PatternsFromMetadata({}, 2, 2)->empty());
  EXPECT_TRUE(Contains(PatternsFromMetadata({{kPatternsKey, text}}, 3, 2).status().message(),
                       "metadata \"patterns\": heads has 2 per-layer lists for 3 layers"));
  EXPECT_TRUE(Contains(PatternsFromMetadata({{kPatternsKey, "{"}}, 2, 2).status().message(), "not JSON"));
  EXPECT_TRUE(CheckPatternsFit(*p, 2, 2).ok());
  EXPECT_TRUE(CheckPatternsFit(HeadPatterns(), 5, 5).ok());
  EXPECT_TRUE(Contains(CheckPatternsFit(*p, 2, 4).message(), "for 2 layers x 2 heads, the model has 2 x 4"));
}

}  // namespace
}  // namespace attn::model
