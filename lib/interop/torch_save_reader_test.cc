#include "lib/interop/torch_save_reader.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "caffe2/serialize/inline_container.h"
#include "torch/torch.h"

namespace attn::interop {
namespace {

template <size_t N>
std::string Bytes(const char (&s)[N]) {
  return std::string(s, N - 1);
}

// Python 3.11 + torch 1.13: torch.save(OrderedDict([('w', torch.tensor([[1.5, -2.0, 0.25]])),
// ('h', torch.tensor([3.0], dtype=torch.float16))]), f, _use_new_zipfile_serialization=False),
// in its parts: magic, version and system info; the object; the storage keys; the storages.
const std::string kLegacyHeader = Bytes(
    "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e\x80\x02\x4d\xe9\x03\x2e\x80\x02\x7d\x71\x00\x28\x58"
    "\x10\x00\x00\x00\x70\x72\x6f\x74\x6f\x63\x6f\x6c\x5f\x76\x65\x72\x73\x69\x6f\x6e\x71\x01\x4d\xe9\x03\x58\x0d\x00"
    "\x00\x00\x6c\x69\x74\x74\x6c\x65\x5f\x65\x6e\x64\x69\x61\x6e\x71\x02\x88\x58\x0a\x00\x00\x00\x74\x79\x70\x65\x5f"
    "\x73\x69\x7a\x65\x73\x71\x03\x7d\x71\x04\x28\x58\x05\x00\x00\x00\x73\x68\x6f\x72\x74\x71\x05\x4b\x02\x58\x03\x00"
    "\x00\x00\x69\x6e\x74\x71\x06\x4b\x04\x58\x04\x00\x00\x00\x6c\x6f\x6e\x67\x71\x07\x4b\x04\x75\x75\x2e");
const std::string kMainPickle = Bytes(
    "\x80\x02\x63\x63\x6f\x6c\x6c\x65\x63\x74\x69\x6f\x6e\x73\x0a\x4f\x72\x64\x65\x72\x65\x64\x44\x69\x63\x74\x0a\x71"
    "\x00\x29\x52\x71\x01\x28\x58\x01\x00\x00\x00\x77\x71\x02\x63\x74\x6f\x72\x63\x68\x2e\x5f\x75\x74\x69\x6c\x73\x0a"
    "\x5f\x72\x65\x62\x75\x69\x6c\x64\x5f\x74\x65\x6e\x73\x6f\x72\x5f\x76\x32\x0a\x71\x03\x28\x28\x58\x07\x00\x00\x00"
    "\x73\x74\x6f\x72\x61\x67\x65\x71\x04\x63\x74\x6f\x72\x63\x68\x0a\x46\x6c\x6f\x61\x74\x53\x74\x6f\x72\x61\x67\x65"
    "\x0a\x71\x05\x58\x0a\x00\x00\x00\x31\x31\x30\x33\x32\x30\x39\x32\x38\x30\x71\x06\x58\x03\x00\x00\x00\x63\x70\x75"
    "\x71\x07\x4b\x03\x4e\x74\x71\x08\x51\x4b\x00\x4b\x01\x4b\x03\x86\x71\x09\x4b\x03\x4b\x01\x86\x71\x0a\x89\x68\x00"
    "\x29\x52\x71\x0b\x74\x71\x0c\x52\x71\x0d\x58\x01\x00\x00\x00\x68\x71\x0e\x68\x03\x28\x28\x68\x04\x63\x74\x6f\x72"
    "\x63\x68\x0a\x48\x61\x6c\x66\x53\x74\x6f\x72\x61\x67\x65\x0a\x71\x0f\x58\x0a\x00\x00\x00\x31\x31\x30\x33\x32\x30"
    "\x39\x35\x38\x34\x71\x10\x68\x07\x4b\x01\x4e\x74\x71\x11\x51\x4b\x00\x4b\x01\x85\x71\x12\x4b\x01\x85\x71\x13\x89"
    "\x68\x00\x29\x52\x71\x14\x74\x71\x15\x52\x71\x16\x75\x2e");
const std::string kKeysPickle = Bytes(
    "\x80\x02\x5d\x71\x00\x28\x58\x0a\x00\x00\x00\x31\x31\x30\x33\x32\x30\x39\x32\x38\x30\x71\x01\x58\x0a\x00\x00\x00"
    "\x31\x31\x30\x33\x32\x30\x39\x35\x38\x34\x71\x02\x65\x2e");
const std::string kStorages = Bytes(
    "\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc0\x3f\x00\x00\x00\xc0\x00\x00\x80\x3e\x01\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x42");
const std::string kLegacy = kLegacyHeader + kMainPickle + kKeysPickle + kStorages;
const char* const kKeys[] = {"1103209280", "1103209584"};

// The zip archive of the same object, as torch.save writes it with LibTorch's
// PyTorchStreamWriter: the object's pickle as data.pkl and each storage's bytes as data/KEY.
std::string ZipArchive() {
  std::string image;
  caffe2::serialize::PyTorchStreamWriter writer([&image](const void* data, size_t size) {
    image.append(static_cast<const char*>(data), size);
    return size;
  });
  writer.writeRecord("data.pkl", kMainPickle.data(), kMainPickle.size());
  writer.writeRecord(std::string("data/") + kKeys[0], kStorages.data() + 8, 12);
  writer.writeRecord(std::string("data/") + kKeys[1], kStorages.data() + 28, 2);
  writer.writeEndOfFile();
  return image;
}

::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" lacks \"" << part << "\"";
}

std::string ErrorOf(const std::string& bytes) {
  absl::StatusOr<c10::IValue> v = ReadTorchSave(bytes, "x.pt");
  EXPECT_FALSE(v.ok());
  if (v.ok()) return "";
  EXPECT_EQ(v.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(v.status().message().substr(0, 6), "x.pt: ");
  return std::string(v.status().message());
}

void ExpectTheObject(const std::string& image) {
  absl::StatusOr<c10::IValue> v = ReadTorchSave(image, "x.pt");
  ASSERT_TRUE(v.ok()) << v.status().message();
  c10::Dict<c10::IValue, c10::IValue> d = v->toGenericDict();
  ASSERT_EQ(d.size(), 2u);
  // In the file's order, as the OrderedDict had them.
  EXPECT_EQ(d.begin()->key().toStringRef(), "w");
  const at::Tensor w = d.at("w").toTensor();
  EXPECT_EQ(w.dtype(), at::kFloat);
  EXPECT_TRUE(torch::equal(w, torch::tensor({{1.5f, -2.0f, 0.25f}})));
  const at::Tensor h = d.at("h").toTensor();
  EXPECT_EQ(h.dtype(), at::kHalf);
  EXPECT_EQ(h.item<float>(), 3.0f);
}

TEST(TorchSaveReaderTest, ReadsTheLegacyStream) { ExpectTheObject(kLegacy); }

TEST(TorchSaveReaderTest, ReadsTheZipArchive) { ExpectTheObject(ZipArchive()); }

TEST(TorchSaveReaderTest, EveryTruncationIsOneClearError) {
  for (const std::string& whole : {kLegacy, ZipArchive()}) {
    for (size_t n = 0; n < whole.size(); ++n) {
      SCOPED_TRACE(n);
      ErrorOf(whole.substr(0, n));
    }
  }
  EXPECT_TRUE(Contains(ErrorOf(kLegacy.substr(0, kLegacy.size() - 1)), "truncated"));
  EXPECT_TRUE(Contains(ErrorOf(kLegacy + "x"), "unexpected bytes at the end"));
}

TEST(TorchSaveReaderTest, StorageSizesAreChecked) {
  // One element short of what the tensor of shape [1, 3] needs.
  std::string short_storage = kLegacyHeader + kMainPickle + kKeysPickle + kStorages;
  short_storage[kLegacyHeader.size() + kMainPickle.size() + kKeysPickle.size()] = 2;
  short_storage.erase(short_storage.size() - 14, 4);
  EXPECT_TRUE(Contains(ErrorOf(short_storage), "holds 8 bytes, its tensor needs 12"));
}

TEST(TorchSaveReaderTest, ForeignFilesAreOneClearError) {
  EXPECT_TRUE(Contains(ErrorOf(""), "empty"));
  EXPECT_TRUE(Contains(ErrorOf("hello, world"), "neither a torch.save zip archive nor a legacy"));
  // An empty zip archive: just its end-of-directory record.
  EXPECT_TRUE(Contains(ErrorOf(std::string("PK\x05\x06", 4) + std::string(18, '\0')), "without data.pkl"));
  EXPECT_TRUE(Contains(ErrorOf(std::string("PK\x03\x04", 4) + std::string(100, 'x')), "zip archive"));
}

}  // namespace
}  // namespace attn::interop
