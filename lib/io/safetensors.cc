#include "lib/io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/io/atomic_file.h"
#include "lib/io/printable.h"
#include "nlohmann/json.hpp"

namespace attn::io {
namespace {

// The reference implementation refuses headers above 100 MB; so do we, which also keeps a
// corrupt size field from making us allocate gigabytes.
constexpr uint64_t kMaxHeaderSize = 100'000'000;

uint64_t ReadLittleEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string LittleEndian64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

// Element count of `shape`, or an error when it overflows.
absl::StatusOr<uint64_t> NumElements(const std::vector<int64_t>& shape) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return absl::InvalidArgumentError(absl::StrCat("negative dimension ", d));
    if (d != 0 && n > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(d)) {
      return absl::InvalidArgumentError("shape overflows");
    }
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

// At most 200 bytes: the shape came from the file and may have any number of dimensions.
std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) absl::StrAppend(&s, i ? "," : "", shape[i]);
  return Printable(s + "]", 200);
}

}  // namespace

absl::StatusOr<int64_t> SafetensorsDtypeSize(const std::string& dtype) {
  static const std::map<std::string, int64_t> kSizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E4M3", 1}, {"F8_E5M2", 1},
      {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},
      {"U32", 4},  {"F32", 4}, {"I64", 8}, {"U64", 8},     {"F64", 8}};
  auto it = kSizes.find(dtype);
  if (it == kSizes.end()) return absl::InvalidArgumentError(absl::StrCat("unknown dtype \"", Printable(dtype), "\""));
  return it->second;
}

absl::StatusOr<std::string> SerializeSafetensors(const Safetensors& file) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!file.metadata.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& [k, v] : file.metadata) meta[k] = v;
    header["__metadata__"] = std::move(meta);
  }
  uint64_t offset = 0;
  for (const auto& [name, t] : file.tensors) {
    if (name == "__metadata__") return absl::InvalidArgumentError("a tensor may not be named __metadata__");
    absl::StatusOr<int64_t> size = SafetensorsDtypeSize(t.dtype);
    if (!size.ok()) return absl::InvalidArgumentError(absl::StrCat("tensor ", name, ": ", size.status().message()));
    absl::StatusOr<uint64_t> n = NumElements(t.shape);
    if (!n.ok()) return absl::InvalidArgumentError(absl::StrCat("tensor ", name, ": ", n.status().message()));
    if (*n * static_cast<uint64_t>(*size) != t.data.size()) {
      return absl::InvalidArgumentError(absl::StrCat("tensor ", name, ": ", t.data.size(), " bytes for ", t.dtype,
                                                     " ", ShapeString(t.shape)));
    }
    header[name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.data.size()}}};
    offset += t.data.size();
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string out = LittleEndian64(json.size());
  out.reserve(8 + json.size() + offset);
  out += json;
  for (const auto& [name, t] : file.tensors) out += t.data;
  return out;
}

absl::StatusOr<Safetensors> ParseSafetensors(std::string_view bytes, const std::string& source) {
  auto fail = [&source](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": not a valid safetensors file: ", what));
  };
  if (bytes.size() < 8) return fail(absl::StrCat("truncated (", bytes.size(), " bytes, the header size alone is 8)"));
  const uint64_t header_size = ReadLittleEndian64(bytes.data());
  if (header_size > kMaxHeaderSize) return fail(absl::StrCat("header size ", header_size, " is implausibly large"));
  if (header_size > bytes.size() - 8) {
    return fail(absl::StrCat("header size ", header_size, " runs beyond the end of the file (", bytes.size(),
                             " bytes); the file is truncated or corrupt"));
  }
  // nlohmann keeps the last of two equal keys; the format has one entry per name, so a
  // repeated key at any level is refused rather than silently resolved.
  std::vector<std::set<std::string>> open_objects;
  std::optional<std::string> duplicate;
  auto find_duplicates = [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) {
      open_objects.emplace_back();
    } else if (event == Event::object_end) {
      open_objects.pop_back();
    } else if (event == Event::key && !duplicate && !open_objects.back().insert(parsed.get<std::string>()).second) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.substr(8, header_size), find_duplicates);
  } catch (const nlohmann::json::exception& e) {
    return fail(absl::StrCat("header is not valid JSON (", Printable(e.what(), 200), ")"));
  }
  if (duplicate) return fail(absl::StrCat("the header names \"", Printable(*duplicate), "\" twice"));
  if (!header.is_object()) return fail("header is not a JSON object");

  const std::string_view data = bytes.substr(8 + header_size);
  Safetensors result;
  std::vector<std::pair<std::pair<uint64_t, uint64_t>, std::string>> ranges;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) return fail("__metadata__ is not an object");
      for (const auto& [k, v] : entry.items()) {
        if (!v.is_string()) return fail(absl::StrCat("metadata \"", Printable(k), "\" is not a string"));
        result.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    const std::string where = absl::StrCat("tensor \"", Printable(name), "\": ");
    if (!entry.is_object()) return fail(where + "entry is not an object");
    for (const char* field : {"dtype", "shape", "data_offsets"}) {
      if (!entry.contains(field)) return fail(absl::StrCat(where, "missing \"", field, "\""));
    }
    const auto& dtype = entry["dtype"];
    const auto& shape = entry["shape"];
    const auto& offsets = entry["data_offsets"];
    if (!dtype.is_string()) return fail(where + "dtype is not a string");
    SafetensorsTensor t;
    t.dtype = dtype.get<std::string>();
    absl::StatusOr<int64_t> elem = SafetensorsDtypeSize(t.dtype);
    if (!elem.ok()) return fail(where + std::string(elem.status().message()));
    if (!shape.is_array()) return fail(where + "shape is not an array");
    for (const auto& d : shape) {
      if (!d.is_number_integer()) return fail(where + "shape holds a non-integer");
      if (d.is_number_unsigned() && d.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return fail(where + "dimension too large");
      }
      t.shape.push_back(d.get<int64_t>());
    }
    absl::StatusOr<uint64_t> n = NumElements(t.shape);
    if (!n.ok()) return fail(where + std::string(n.status().message()));
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned()) {
      return fail(where + "data_offsets is not a pair of non-negative integers");
    }
    const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (begin > end || end > data.size()) {
      return fail(absl::StrCat(where, "data_offsets [", begin, ",", end, "] out of range (data is ", data.size(),
                               " bytes); the file is truncated or corrupt"));
    }
    if (*n > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(*elem) ||
        *n * static_cast<uint64_t>(*elem) != end - begin) {
      return fail(absl::StrCat(where, end - begin, " bytes do not hold ", t.dtype, " ", ShapeString(t.shape)));
    }
    t.data = std::string(data.substr(begin, end - begin));
    ranges.push_back({{begin, end}, name});
    result.tensors.emplace(name, std::move(t));
  }
  // The reference reader requires the tensors to tile the data exactly.
  std::sort(ranges.begin(), ranges.end());
  uint64_t covered = 0;
  for (const auto& [range, name] : ranges) {
    if (range.first < covered) return fail(absl::StrCat("tensor \"", Printable(name), "\" overlaps another tensor"));
    if (range.first > covered) return fail(absl::StrCat("unused bytes before tensor \"", Printable(name), "\""));
    covered = range.second;
  }
  if (covered != data.size()) {
    return fail(absl::StrCat(data.size() - covered, " trailing bytes after the last tensor"));
  }
  return result;
}

absl::Status WriteSafetensors(const std::string& path, const Safetensors& file) {
  absl::StatusOr<std::string> image = SerializeSafetensors(file);
  if (!image.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", image.status().message()));
  return WriteFileAtomically(path, *image);
}

absl::StatusOr<Safetensors> ReadSafetensors(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  return ParseSafetensors(*bytes, path);
}

}  // namespace attn::io
