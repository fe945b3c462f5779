#include "lib/interop/torch_save_reader.h"

#include <zip.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/interop/pickle_rewrite.h"
#include "lib/io/printable.h"
#include "c10/core/CPUAllocator.h"
#include "torch/csrc/jit/serialization/unpickler.h"

namespace attn::interop {
namespace {

// The legacy stream starts with pickle.dumps(0x1950a86a20f9469cfc6c, 2).
constexpr std::string_view kLegacyMagic("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e", 15);
constexpr int64_t kLegacyProtocolVersion = 1001;

// `what` often quotes the file's own strings (storage keys, record names): kept on one line.
absl::Status Corrupt(const std::string& source, const std::string& what) {
  return absl::DataLossError(absl::StrCat(source, ": ", io::OneLine(what)));
}

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

// A storage whose bytes are not read yet: the Unpickler asks for a record by key in the
// middle of the pickle, before its size can be checked, so it gets no memory, only its
// key in the DataPtr's context; AttachRecords gives it checked bytes afterwards.
struct PendingRecord {
  std::string key;
};
void DeletePendingRecord(void* context) { delete static_cast<PendingRecord*>(context); }

const PendingRecord* Pending(const at::Tensor& t) {
  const at::DataPtr& data = t.storage().data_ptr();
  if (data.get_deleter() != &DeletePendingRecord) return nullptr;
  return static_cast<const PendingRecord*>(data.get_context());
}

// Rewrites and unpickles the pickle at the start of `bytes`; *consumed gets its length.
absl::StatusOr<c10::IValue> Unpickle(std::string_view bytes, const std::string& source, size_t* consumed) {
  absl::StatusOr<RewrittenPickle> pickle = RewritePickle(bytes);
  if (!pickle.ok()) return Corrupt(source, std::string(pickle.status().message()));
  *consumed = pickle->consumed;
  size_t cursor = 0;
  auto reader = [&pickle, &cursor](char* out, size_t n) {
    n = std::min(n, pickle->bytes.size() - cursor);
    std::memcpy(out, pickle->bytes.data() + cursor, n);
    cursor += n;
    return n;
  };
  auto read_record = [](const std::string& key) {
    auto* pending = new PendingRecord{key};
    return at::DataPtr(nullptr, pending, &DeletePendingRecord, at::kCPU);
  };
  try {
    torch::jit::Unpickler unpickler(reader, nullptr, nullptr, read_record, at::Device(at::kCPU));
    return unpickler.parse_ivalue();
  } catch (const c10::Error& e) {
    return Corrupt(source, absl::StrCat("LibTorch cannot read the pickle: ", FirstLine(e.what_without_backtrace())));
  } catch (const std::exception& e) {
    return Corrupt(source, absl::StrCat("LibTorch cannot read the pickle: ", FirstLine(e.what())));
  }
}

// Removes the attribute state RewritePickle keeps aside and lists every tensor.
void Tidy(const c10::IValue& v, std::vector<at::Tensor>* tensors) {
  if (v.isTensor()) {
    tensors->push_back(v.toTensor());
  } else if (v.isGenericDict()) {
    c10::Dict<c10::IValue, c10::IValue> d = v.toGenericDict();
    d.erase(std::string(kObjectStateKey));
    for (const auto& entry : d) {
      Tidy(entry.key(), tensors);
      Tidy(entry.value(), tensors);
    }
  } else if (v.isList()) {
    for (const c10::IValue& e : v.toListRef()) Tidy(e, tensors);
  } else if (v.isTuple()) {
    for (const c10::IValue& e : v.toTupleRef().elements()) Tidy(e, tensors);
  }
}

// The unpickled object, tidied, with its tensors.
struct Unpickled {
  c10::IValue root;
  std::vector<at::Tensor> tensors;
};

absl::StatusOr<Unpickled> UnpickleObject(std::string_view bytes, const std::string& source, size_t* consumed) {
  absl::StatusOr<c10::IValue> root = Unpickle(bytes, source, consumed);
  if (!root.ok()) return root.status();
  Unpickled out{*std::move(root), {}};
  Tidy(out.root, &out.tensors);
  return out;
}

// The bytes per element of each storage still pending, by key.
absl::StatusOr<std::map<std::string, int64_t>> PendingKeys(const std::vector<at::Tensor>& tensors,
                                                           const std::string& source) {
  std::map<std::string, int64_t> keys;
  for (const at::Tensor& t : tensors) {
    const PendingRecord* pending = Pending(t);
    if (pending == nullptr) continue;
    auto [it, added] = keys.emplace(pending->key, t.element_size());
    if (!added && it->second != t.element_size()) {
      return Corrupt(source, absl::StrCat("storage ", pending->key, " is read as two different dtypes"));
    }
  }
  return keys;
}

// The tensor's elements lie inside its storage (LibTorch sets sizes and strides from the
// pickle without checking them against the storage).
absl::Status CheckView(const at::Tensor& t, const std::string& source) {
  const int64_t capacity = static_cast<int64_t>(t.storage().nbytes() / t.element_size());
  int64_t last = t.storage_offset();
  bool empty = false;
  bool ok = last >= 0;
  for (int64_t d = 0; ok && d < t.dim(); ++d) {
    const int64_t size = t.sizes()[d], stride = t.strides()[d];
    int64_t span = 0;
    ok = size >= 0 && stride >= 0 && !__builtin_mul_overflow(size > 0 ? size - 1 : 0, stride, &span) &&
         !__builtin_add_overflow(last, span, &last);
    empty = empty || size == 0;
  }
  if (!ok || (!empty && last >= capacity)) {
    return Corrupt(source, absl::StrCat("a tensor of shape ", c10::str(t.sizes()), " does not fit its storage of ",
                                        capacity, " elements"));
  }
  return absl::OkStatus();
}

// Gives each pending storage its record, whose size must be the storage's, then checks
// every tensor's view.
absl::Status AttachRecords(const std::vector<at::Tensor>& tensors,
                           const std::map<std::string, std::string_view>& records, const std::string& source) {
  for (const at::Tensor& t : tensors) {
    const c10::Storage storage = t.storage();
    if (const PendingRecord* pending = Pending(t); pending != nullptr) {
      auto it = records.find(pending->key);
      if (it == records.end()) return Corrupt(source, absl::StrCat("no data for storage ", pending->key));
      if (it->second.size() != storage.nbytes()) {
        return Corrupt(source, absl::StrCat("storage ", pending->key, " holds ", it->second.size(),
                                            " bytes, its tensor needs ", storage.nbytes(), " (truncated?)"));
      }
      at::DataPtr data = c10::GetCPUAllocator()->allocate(it->second.size());
      if (!it->second.empty()) std::memcpy(data.get(), it->second.data(), it->second.size());
      storage.set_data_ptr_noswap(std::move(data));
    } else if (storage.data() == nullptr && storage.nbytes() != 0) {
      return Corrupt(source, "a tensor storage without data");
    }
    if (absl::Status s = CheckView(t, source); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- the zip archive

struct ZipDiscard {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};
struct ZipClose {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};

class ZipArchive {
 public:
  static absl::StatusOr<ZipArchive> Open(std::string_view bytes, const std::string& source) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* data = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    zip_t* archive = data == nullptr ? nullptr : zip_open_from_source(data, ZIP_RDONLY | ZIP_CHECKCONS, &error);
    if (archive == nullptr) {
      if (data != nullptr) zip_source_free(data);
      const std::string why = zip_error_strerror(&error);
      zip_error_fini(&error);
      return Corrupt(source, absl::StrCat("a truncated or corrupt zip archive (", why, ")"));
    }
    ZipArchive out(std::unique_ptr<zip_t, ZipDiscard>(archive), bytes.size());
    const zip_int64_t n = zip_get_num_entries(archive, 0);
    for (zip_int64_t i = 0; i < n; ++i) {
      if (const char* name = zip_get_name(archive, i, ZIP_FL_ENC_RAW); name != nullptr) out.entries_[name] = i;
    }
    return out;
  }

  bool Has(const std::string& name) const { return entries_.count(name) > 0; }
  const std::map<std::string, zip_uint64_t>& entries() const { return entries_; }

  // An entry's bytes; torch.save stores its records uncompressed, so anything else is foreign.
  absl::StatusOr<std::string> Read(const std::string& name, const std::string& source) const {
    auto it = entries_.find(name);
    if (it == entries_.end()) return Corrupt(source, absl::StrCat("the archive lacks ", name));
    zip_stat_t stat;
    if (zip_stat_index(archive_.get(), it->second, 0, &stat) != 0 || !(stat.valid & ZIP_STAT_SIZE) ||
        !(stat.valid & ZIP_STAT_COMP_METHOD)) {
      return Corrupt(source, absl::StrCat("cannot read the zip entry ", name));
    }
    if (stat.comp_method != ZIP_CM_STORE || stat.size > archive_size_) {
      return Corrupt(source, absl::StrCat("zip entry ", name, " is compressed; torch.save stores records as they are"));
    }
    std::unique_ptr<zip_file_t, ZipClose> file(zip_fopen_index(archive_.get(), it->second, 0));
    std::string out(stat.size, '\0');
    if (file == nullptr || zip_fread(file.get(), out.data(), out.size()) != static_cast<zip_int64_t>(out.size())) {
      return Corrupt(source, absl::StrCat("cannot read the zip entry ", name, " (truncated?)"));
    }
    return out;
  }

 private:
  ZipArchive(std::unique_ptr<zip_t, ZipDiscard> archive, size_t archive_size)
      : archive_(std::move(archive)), archive_size_(archive_size) {}

  std::unique_ptr<zip_t, ZipDiscard> archive_;
  size_t archive_size_;
  std::map<std::string, zip_uint64_t> entries_;
};

absl::StatusOr<c10::IValue> ReadZip(std::string_view bytes, const std::string& source) {
  absl::StatusOr<ZipArchive> zip = ZipArchive::Open(bytes, source);
  if (!zip.ok()) return zip.status();
  // Every record lies in one folder, named after the file when it was saved.
  std::string folder;
  for (const auto& [name, index] : zip->entries()) {
    const size_t slash = name.find('/');
    if (slash != std::string::npos && name.substr(slash + 1) == "data.pkl") folder = name.substr(0, slash + 1);
  }
  if (folder.empty()) return Corrupt(source, "a zip archive without data.pkl: not a file written by torch.save");
  if (zip->Has(folder + "constants.pkl")) {
    return Corrupt(source,
                   "a TorchScript module (torch.jit.save), not torch.save of a state_dict; in Python, "
                   "torch.save(model.state_dict(), path) and import that");
  }
  if (zip->Has(folder + "byteorder")) {
    absl::StatusOr<std::string> order = zip->Read(folder + "byteorder", source);
    if (!order.ok()) return order.status();
    if (*order != "little") return Corrupt(source, absl::StrCat("tensors saved ", *order, "-endian; only little-endian is read"));
  }
  absl::StatusOr<std::string> pickle = zip->Read(folder + "data.pkl", source);
  if (!pickle.ok()) return pickle.status();
  size_t consumed = 0;
  absl::StatusOr<Unpickled> object = UnpickleObject(*pickle, source, &consumed);
  if (!object.ok()) return object.status();
  absl::StatusOr<std::map<std::string, int64_t>> keys = PendingKeys(object->tensors, source);
  if (!keys.ok()) return keys.status();
  std::map<std::string, std::string> data;
  std::map<std::string, std::string_view> records;
  for (const auto& [key, element_size] : *keys) {
    absl::StatusOr<std::string> record = zip->Read(absl::StrCat(folder, "data/", key), source);
    if (!record.ok()) return record.status();
    records[key] = data[key] = *std::move(record);
  }
  if (absl::Status s = AttachRecords(object->tensors, records, source); !s.ok()) return s;
  return object->root;
}

// ---------------------------------------------------------------- the legacy stream

absl::StatusOr<c10::IValue> ReadLegacy(std::string_view bytes, const std::string& source) {
  size_t pos = kLegacyMagic.size(), consumed = 0;
  absl::StatusOr<c10::IValue> version = Unpickle(bytes.substr(pos), source, &consumed);
  if (!version.ok()) return version.status();
  if (!version->isInt() || version->toInt() != kLegacyProtocolVersion) {
    return Corrupt(source, "a legacy torch.save file of an unknown protocol version");
  }
  pos += consumed;
  absl::StatusOr<c10::IValue> info = Unpickle(bytes.substr(pos), source, &consumed);
  if (!info.ok()) return info.status();
  if (!info->isGenericDict() || !info->toGenericDict().contains("little_endian") ||
      !info->toGenericDict().at("little_endian").isBool() || !info->toGenericDict().at("little_endian").toBool()) {
    return Corrupt(source, "a legacy torch.save file from a big-endian machine; only little-endian is read");
  }
  pos += consumed;
  absl::StatusOr<Unpickled> object = UnpickleObject(bytes.substr(pos), source, &consumed);
  if (!object.ok()) return object.status();
  pos += consumed;
  absl::StatusOr<c10::IValue> order = Unpickle(bytes.substr(pos), source, &consumed);
  if (!order.ok()) return order.status();
  pos += consumed;
  absl::StatusOr<std::map<std::string, int64_t>> element_sizes = PendingKeys(object->tensors, source);
  if (!element_sizes.ok()) return element_sizes.status();
  // The storages follow in the order of that list: an int64 element count, then the bytes.
  if (!order->isList()) return Corrupt(source, "the legacy storage list is not a list");
  std::map<std::string, std::string_view> records;
  for (const c10::IValue& key_value : order->toListRef()) {
    if (!key_value.isString()) return Corrupt(source, "a legacy storage key is not a string");
    const std::string key = key_value.toStringRef();
    auto size = element_sizes->find(key);
    if (size == element_sizes->end()) return Corrupt(source, absl::StrCat("storage ", key, " belongs to no tensor"));
    int64_t count = 0, length = 0;
    if (bytes.size() - pos < sizeof(count)) return Corrupt(source, "the file ends inside its storages (truncated?)");
    std::memcpy(&count, bytes.data() + pos, sizeof(count));
    pos += sizeof(count);
    if (count < 0 || __builtin_mul_overflow(count, size->second, &length) ||
        static_cast<uint64_t>(length) > bytes.size() - pos) {
      return Corrupt(source, "the file ends inside its storages (truncated?)");
    }
    records[key] = bytes.substr(pos, length);
    pos += length;
  }
  if (pos != bytes.size()) return Corrupt(source, absl::StrCat(bytes.size() - pos, " unexpected bytes at the end"));
  if (absl::Status s = AttachRecords(object->tensors, records, source); !s.ok()) return s;
  return object->root;
}

}  // namespace

absl::StatusOr<c10::IValue> ReadTorchSave(std::string_view bytes, const std::string& source) {
  if (bytes.empty()) return Corrupt(source, "an empty file");
  if (bytes.substr(0, 2) == "PK") return ReadZip(bytes, source);
  if (bytes.substr(0, kLegacyMagic.size()) == kLegacyMagic) return ReadLegacy(bytes, source);
  if (bytes.size() < kLegacyMagic.size() && kLegacyMagic.substr(0, bytes.size()) == bytes) {
    return Corrupt(source, "a truncated legacy torch.save file");
  }
  return Corrupt(source, "neither a torch.save zip archive nor a legacy torch.save file");
}

}  // namespace attn::interop
