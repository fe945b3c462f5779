#include "lib/interop/pickle_rewrite.h"

#include <string>

#include "gtest/gtest.h"
#include "torch/csrc/jit/serialization/pickle.h"

namespace attn::interop {
namespace {

// The pickles below are Python 3.11's pickle.dumps(EXPR, protocol=2), byte for byte.
template <size_t N>
std::string Bytes(const char (&s)[N]) {
  return std::string(s, N - 1);
}

// od = OrderedDict([('a', 1), ('b', 2)]); od._metadata = OrderedDict([('', {'version': 1})])
// (what every state_dict() is).
const std::string kOrderedDict = Bytes(
    "\x80\x02\x63\x63\x6f\x6c\x6c\x65\x63\x74\x69\x6f\x6e\x73\x0a\x4f\x72\x64\x65\x72\x65\x64\x44\x69\x63\x74\x0a\x71"
    "\x00\x29\x52\x71\x01\x28\x58\x01\x00\x00\x00\x61\x71\x02\x4b\x01\x58\x01\x00\x00\x00\x62\x71\x03\x4b\x02\x75\x7d"
    "\x71\x04\x58\x09\x00\x00\x00\x5f\x6d\x65\x74\x61\x64\x61\x74\x61\x71\x05\x68\x00\x29\x52\x71\x06\x58\x00\x00\x00"
    "\x00\x71\x07\x7d\x71\x08\x58\x07\x00\x00\x00\x76\x65\x72\x73\x69\x6f\x6e\x71\x09\x4b\x01\x73\x73\x73\x62\x2e");
// {'losses': [3.5]}
const std::string kOneElementList =
    Bytes("\x80\x02\x7d\x71\x00\x58\x06\x00\x00\x00\x6c\x6f\x73\x73\x65\x73\x71\x01\x5d\x71\x02\x47\x40\x0c\x00\x00\x00"
          "\x00\x00\x00\x61\x73\x2e");
// [2**40, -2**40, -1, 2**63 - 1]
const std::string kBigIntegers =
    Bytes("\x80\x02\x5d\x71\x00\x28\x8a\x06\x00\x00\x00\x00\x00\x01\x8a\x06\x00\x00\x00\x00\x00\xff\x4a\xff\xff\xff\xff"
          "\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f\x65\x2e");
// {'a': 1}
const std::string kSingleItemDict = Bytes("\x80\x02}q\x00X\x01\x00\x00\x00" "aq\x01K\x01s.");
// shared = [1, 2]; {'a': shared, 'b': shared}
const std::string kShared = Bytes(
    "\x80\x02\x7d\x71\x00\x28\x58\x01\x00\x00\x00\x61\x71\x01\x5d\x71\x02\x28\x4b\x01\x4b\x02\x65\x58\x01\x00\x00\x00"
    "\x62\x71\x03\x68\x02\x75\x2e");
// L = []; L.append(L)
const std::string kRecursive = Bytes("\x80\x02\x5d\x71\x00\x68\x00\x61\x2e");
// collections.OrderedDict (the class itself)
const std::string kOrderedDictClass = Bytes(
    "\x80\x02\x63\x63\x6f\x6c\x6c\x65\x63\x74\x69\x6f\x6e\x73\x0a\x4f\x72\x64\x65\x72\x65\x64\x44\x69\x63\x74\x0a\x71"
    "\x00\x2e");
// class Foo: pass (in __main__); Foo()
const std::string kObject =
    Bytes("\x80\x02\x63\x5f\x5f\x6d\x61\x69\x6e\x5f\x5f\x0a\x46\x6f\x6f\x0a\x71\x00\x29\x81\x71\x01\x2e");
// b'ab'
const std::string kBytesObject = Bytes(
    "\x80\x02\x63\x5f\x63\x6f\x64\x65\x63\x73\x0a\x65\x6e\x63\x6f\x64\x65\x0a\x71\x00\x58\x02\x00\x00\x00\x61\x62\x71"
    "\x01\x58\x06\x00\x00\x00\x6c\x61\x74\x69\x6e\x31\x71\x02\x86\x71\x03\x52\x71\x04\x2e");

::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" lacks \"" << part << "\"";
}

c10::IValue Unpickle(const std::string& pickle) {
  absl::StatusOr<RewrittenPickle> r = RewritePickle(pickle);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return c10::IValue();
  EXPECT_EQ(r->consumed, pickle.size());
  return torch::jit::unpickle(r->bytes.data(), r->bytes.size());
}

std::string ErrorOf(const std::string& pickle) {
  absl::StatusOr<RewrittenPickle> r = RewritePickle(pickle);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  return std::string(r.status().message());
}

// The premise: LibTorch's reader alone fails on each construct the rewrite handles. If a
// later LibTorch reads one of them, this test says so and the rewrite can shrink.
TEST(PickleRewriteTest, LibTorchAloneCannotReadThem) {
  for (const std::string* p : {&kOrderedDict, &kOneElementList, &kBigIntegers, &kSingleItemDict}) {
    EXPECT_ANY_THROW(torch::jit::unpickle(p->data(), p->size()));
  }
}

TEST(PickleRewriteTest, OrderedDictBecomesADictWithItsAttributesAside) {
  c10::IValue v = Unpickle(kOrderedDict);
  ASSERT_TRUE(v.isGenericDict());
  c10::Dict<c10::IValue, c10::IValue> d = v.toGenericDict();
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d.at("a").toInt(), 1);
  EXPECT_EQ(d.at("b").toInt(), 2);
  // The attributes, as BUILD would have set them: {'_metadata': {'': {'version': 1}}}.
  c10::IValue state = d.at(std::string(kObjectStateKey));
  EXPECT_EQ(state.toGenericDict().at("_metadata").toGenericDict().at("").toGenericDict().at("version").toInt(), 1);
}

TEST(PickleRewriteTest, OneElementListKeepsItsElement) {
  c10::IValue v = Unpickle(kOneElementList);
  c10::List<c10::IValue> losses = v.toGenericDict().at("losses").toList();
  ASSERT_EQ(losses.size(), 1u);
  EXPECT_EQ(losses.get(0).toDouble(), 3.5);
}

TEST(PickleRewriteTest, ShortLongIntegersKeepTheirValueAndSign) {
  c10::List<c10::IValue> v = Unpickle(kBigIntegers).toList();
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v.get(0).toInt(), int64_t{1} << 40);
  EXPECT_EQ(v.get(1).toInt(), -(int64_t{1} << 40));
  EXPECT_EQ(v.get(2).toInt(), -1);
  EXPECT_EQ(v.get(3).toInt(), INT64_MAX);
}

TEST(PickleRewriteTest, SingleItemDictKeepsItsItem) {
  c10::Dict<c10::IValue, c10::IValue> d = Unpickle(kSingleItemDict).toGenericDict();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d.at("a").toInt(), 1);
}

TEST(PickleRewriteTest, SharedContainersAreFine) {
  c10::Dict<c10::IValue, c10::IValue> d = Unpickle(kShared).toGenericDict();
  EXPECT_EQ(d.at("a").toList().size(), 2u);
  EXPECT_EQ(d.at("b").toList().get(1).toInt(), 2);
}

TEST(PickleRewriteTest, ReportsWhereThePickleEnds) {
  absl::StatusOr<RewrittenPickle> r = RewritePickle(kShared + "trailing bytes");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->consumed, kShared.size());
}

TEST(PickleRewriteTest, RefusesWhatItCannotVouchFor) {
  EXPECT_TRUE(Contains(ErrorOf(kRecursive), "recursive"));
  EXPECT_TRUE(Contains(ErrorOf(kOrderedDictClass), "OrderedDict"));
  EXPECT_TRUE(Contains(ErrorOf(kObject), "__main__.Foo"));
  EXPECT_TRUE(Contains(ErrorOf(kBytesObject), "_codecs.encode"));
  EXPECT_TRUE(Contains(ErrorOf(kOrderedDict.substr(0, 50)), "truncated"));
  EXPECT_TRUE(Contains(ErrorOf(""), "not a pickle"));
  EXPECT_TRUE(Contains(ErrorOf(Bytes("\x80\x04\x95\x00.")), "protocol 4"));
  EXPECT_TRUE(Contains(ErrorOf(Bytes("\x80\x02I1\n.")), "opcode 'I'"));
  // LibTorch reads these unchecked: an odd number of dict items, a memo id past the end,
  // a storage record whose dtype is a plain integer.
  EXPECT_TRUE(Contains(ErrorOf(Bytes("\x80\x02}(K\x01u.")), "odd"));
  EXPECT_TRUE(Contains(ErrorOf(Bytes("\x80\x02]q\x05.")), "memo id 5"));
  EXPECT_TRUE(Contains(ErrorOf(Bytes("\x80\x02]h\x00.")), "never stored"));
  EXPECT_TRUE(Contains(ErrorOf(Bytes("\x80\x02(X\x07\x00\x00\x00storageK\x01X\x01\x00\x00\x00"
                                     "0X\x03\x00\x00\x00" "cpuK\x04tQ.")),
                       "not a whole tensor storage record"));
  EXPECT_TRUE(Contains(ErrorOf(Bytes("\x80\x02K\x01K\x02.")), "unfinished stack"));
  EXPECT_TRUE(Contains(ErrorOf(Bytes("\x80\x02(K\x01s.")), "needs 2 values"));
}

// A GLOBAL's names are the file's bytes (the fuzz finding found_global_name_with_line_break):
// the error quotes them escaped, on one line.
TEST(PickleRewriteTest, QuotesHostileGlobalNamesOnOneLine) {
  const std::string error = ErrorOf(Bytes("\x80\x02" "cmod\rule\x93\nna\x01me\n."));
  EXPECT_TRUE(Contains(error, "mod\\rule\\x93.na\\x01me")) << error;
  EXPECT_EQ(error.find_first_of("\r\n"), std::string::npos) << error;
}

TEST(PickleRewriteTest, RefusesDeepNesting) {
  auto nested = [](int depth) {
    return std::string("\x80\x02", 2) + std::string(depth, ']') + std::string(depth - 1, 'a') + ".";
  };
  EXPECT_TRUE(Unpickle(nested(kMaxPickleDepth)).isList());
  EXPECT_TRUE(Contains(ErrorOf(nested(kMaxPickleDepth + 1)), "nested deeper"));
}

}  // namespace
}  // namespace attn::interop
