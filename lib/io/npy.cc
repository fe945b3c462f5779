#include "lib/io/npy.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <limits>
#include <new>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/io/printable.h"

namespace attn::io {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the .npy code assumes a little-endian host");

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
// numpy caps header dicts at this size when reading; anything longer is not an attention record.
constexpr uint32_t kMaxHeaderLen = 1 << 16;
// numpy's own limit (NPY_MAXDIMS).
constexpr size_t kMaxDims = 64;

std::string ShapeRepr(const std::vector<int64_t>& shape) {
  if (shape.size() == 1) return absl::StrCat("(", shape[0], ",)");
  return absl::StrCat("(", absl::StrJoin(shape, ", "), ")");
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

// A parser for the header dict numpy writes, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderDictParser {
 public:
  explicit HeaderDictParser(std::string_view text) : text_(text) {}

  absl::Status Parse(std::string* descr, bool* fortran_order, std::vector<int64_t>* shape) {
    bool have_descr = false, have_order = false, have_shape = false;
    if (!Consume('{')) return Bad("expected '{'");
    while (true) {
      SkipSpace();
      if (Consume('}')) break;
      std::string key;
      if (!ParseString(&key)) return Bad("expected a quoted key");
      if (!Consume(':')) return Bad("expected ':' after '" + Printable(key) + "'");
      if (key == "descr") {
        if (!ParseString(descr)) return Bad("'descr' is not a simple dtype string");
        have_descr = true;
      } else if (key == "fortran_order") {
        if (!ParseBool(fortran_order)) return Bad("'fortran_order' is not True or False");
        have_order = true;
      } else if (key == "shape") {
        if (!ParseShape(shape)) return Bad("'shape' is not a tuple of non-negative integers");
        if (shape->size() > kMaxDims) return Bad(absl::StrCat("'shape' has more than ", kMaxDims, " dimensions"));
        have_shape = true;
      } else {
        return Bad("unexpected key '" + Printable(key) + "'");
      }
      SkipSpace();
      if (Consume(',')) continue;
      SkipSpace();
      if (Consume('}')) break;
      return Bad("expected ',' or '}'");
    }
    if (!have_descr || !have_order || !have_shape) {
      return Bad("needs the keys 'descr', 'fortran_order' and 'shape'");
    }
    return absl::OkStatus();
  }

 private:
  static absl::Status Bad(const std::string& what) {
    return absl::DataLossError("malformed header dict: " + what);
  }
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool ParseString(std::string* out) {
    SkipSpace();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) return false;
    const char quote = text_[pos_++];
    const size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos) return false;
    *out = std::string(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return true;
  }
  bool ParseBool(bool* out) {
    SkipSpace();
    for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      const size_t n = std::strlen(word);
      if (text_.substr(pos_, n) == word) {
        pos_ += n;
        *out = value;
        return true;
      }
    }
    return false;
  }
  bool ParseShape(std::vector<int64_t>* shape) {
    shape->clear();
    if (!Consume('(')) return false;
    while (true) {
      if (Consume(')')) return true;
      SkipSpace();
      int64_t value = 0;
      size_t digits = 0;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        if (value > (std::numeric_limits<int64_t>::max() - 9) / 10) return false;
        value = value * 10 + (text_[pos_++] - '0');
        ++digits;
      }
      if (digits == 0) return false;
      shape->push_back(value);
      if (Consume(',')) continue;
      return Consume(')');
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

int64_t NpyHeader::num_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string NpyFloat32Header(const std::vector<int64_t>& shape) {
  // Same bytes as numpy.save: sorted keys, growth-axis spare spaces, 64-byte alignment.
  std::string dict = absl::StrCat("{'descr': '<f4', 'fortran_order': False, 'shape': ",
                                  ShapeRepr(shape), ", }");
  constexpr int kGrowthAxisMaxDigits = 21;
  if (!shape.empty()) {
    dict.append(kGrowthAxisMaxDigits - absl::StrCat(shape[0]).size(), ' ');
  }
  const size_t hlen = dict.size() + 1;
  const size_t padlen = 64 - ((kMagicLen + 4 + hlen) % 64);
  dict.append(padlen, ' ');
  dict.push_back('\n');
  std::string header(kMagic, kMagicLen);
  header.push_back('\x01');
  header.push_back('\x00');
  const uint16_t len = static_cast<uint16_t>(dict.size());
  header.push_back(static_cast<char>(len & 0xff));
  header.push_back(static_cast<char>(len >> 8));
  return header + dict;
}

absl::Status WriteNpyRecord(std::FILE* out, const float* data, const std::vector<int64_t>& shape) {
  const std::string header = NpyFloat32Header(shape);
  NpyHeader h{shape};
  const size_t bytes = static_cast<size_t>(h.num_elements()) * sizeof(float);
  if (std::fwrite(header.data(), 1, header.size(), out) != header.size() ||
      (bytes > 0 && std::fwrite(data, 1, bytes, out) != bytes)) {
    return absl::InternalError(absl::StrCat("cannot write an npy record: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status WriteNpyRecord(AtomicFile& out, const float* data, const std::vector<int64_t>& shape) {
  NpyHeader h{shape};
  if (absl::Status s = out.Write(NpyFloat32Header(shape)); !s.ok()) return s;
  return out.Write(data, static_cast<size_t>(h.num_elements()) * sizeof(float));
}

NpyStreamReader::NpyStreamReader(std::FILE* file, std::string source_name)
    : file_(file), source_name_(std::move(source_name)) {
  // A pipe's default 64 KB buffer makes writer and reader switch every 64 KB; records are
  // hundreds of MB. Best effort: the stream works the same without it.
  struct stat st;
  if (fstat(fileno(file_), &st) != 0) return;
  if (S_ISFIFO(st.st_mode)) fcntl(fileno(file_), F_SETPIPE_SZ, 1 << 20);
  regular_file_ = S_ISREG(st.st_mode);
}

int64_t NpyStreamReader::BytesLeftInFile() const {
  struct stat st;
  const long position = std::ftell(file_);
  if (!regular_file_ || position < 0 || fstat(fileno(file_), &st) != 0) return -1;
  return std::max<int64_t>(0, static_cast<int64_t>(st.st_size) - position);
}

absl::Status NpyStreamReader::Error(const std::string& message) const {
  return absl::DataLossError(absl::StrCat(source_name_, ": record ", record_index_, ": ", message));
}

absl::Status NpyStreamReader::ReadExactly(void* out, size_t size, size_t* got) {
  *got = 0;
  char* dst = static_cast<char*>(out);
  while (*got < size) {
    const size_t n = std::fread(dst + *got, 1, size - *got, file_);
    if (n == 0) {
      if (std::ferror(file_)) {
        return absl::DataLossError(
            absl::StrCat("cannot read ", source_name_, ": ", std::strerror(errno)));
      }
      break;
    }
    *got += n;
  }
  bytes_read_ += static_cast<int64_t>(*got);
  return absl::OkStatus();
}

absl::StatusOr<bool> NpyStreamReader::NextHeader(NpyHeader* header) {
  // Skip what the caller left of the previous record.
  std::vector<float> sink;
  while (remaining_ > 0) {
    sink.resize(static_cast<size_t>(std::min<int64_t>(remaining_, 1 << 16)));
    if (absl::Status s = ReadData(sink.data(), static_cast<int64_t>(sink.size())); !s.ok()) return s;
  }
  ++record_index_;
  char prefix[kMagicLen + 2];
  size_t got;
  if (absl::Status s = ReadExactly(prefix, sizeof prefix, &got); !s.ok()) return s;
  if (got == 0) {
    --record_index_;
    return false;
  }
  if (got < sizeof prefix || std::memcmp(prefix, kMagic, kMagicLen) != 0) {
    return Error(got < sizeof prefix && std::memcmp(prefix, kMagic, got) == 0
                     ? "truncated header; the stream ends early"
                     : "not an .npy record (no \\x93NUMPY magic); expected an attention stream");
  }
  const int major = static_cast<unsigned char>(prefix[6]);
  const int minor = static_cast<unsigned char>(prefix[7]);
  if (minor != 0 || major < 1 || major > 3) {
    return Error(absl::StrCat("unsupported .npy version ", major, ".", minor,
                              "; expected 1.0, 2.0 or 3.0"));
  }
  unsigned char len_bytes[4] = {0, 0, 0, 0};
  const size_t len_size = major == 1 ? 2 : 4;
  if (absl::Status s = ReadExactly(len_bytes, len_size, &got); !s.ok()) return s;
  if (got < len_size) return Error("truncated header; the stream ends early");
  const uint32_t header_len = len_bytes[0] | (len_bytes[1] << 8) | (len_bytes[2] << 16) |
                              (static_cast<uint32_t>(len_bytes[3]) << 24);
  if (header_len > kMaxHeaderLen) {
    return Error(absl::StrCat("header of ", header_len, " bytes is implausibly long"));
  }
  std::string dict(header_len, '\0');
  if (absl::Status s = ReadExactly(dict.data(), header_len, &got); !s.ok()) return s;
  if (got < header_len) return Error("truncated header; the stream ends early");

  std::string descr;
  bool fortran_order = false;
  if (absl::Status s = HeaderDictParser(dict).Parse(&descr, &fortran_order, &header->shape);
      !s.ok()) {
    return Error(std::string(s.message()));
  }
  if (descr != "<f4") {
    return Error("dtype '" + Printable(descr) + "' is not little-endian float32 ('<f4'); write the " +
                 "attention as float32");
  }
  if (fortran_order) return Error("Fortran-order data; write the attention in C order");
  int64_t n = 1;
  for (int64_t d : header->shape) {
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / 4 / d) {
      return Error("shape " + ShapeText(header->shape) + " is too large");
    }
    n *= d;
  }
  // A regular file says how much data can follow, so a corrupt or hostile header is refused
  // here, before any consumer sizes a buffer from it.
  const int64_t left = BytesLeftInFile();
  if (left >= 0 && n * static_cast<int64_t>(sizeof(float)) > left) {
    return Error(absl::StrCat("truncated data: shape ", ShapeText(header->shape), " needs ",
                              n * sizeof(float), " bytes but the file has ", left,
                              " left (the file is truncated or its header corrupt)"));
  }
  remaining_ = n;
  return true;
}

absl::Status NpyStreamReader::ReadData(float* out, int64_t count) {
  if (count > remaining_) {
    return Error(absl::StrCat("asked for ", count, " values but the record has ", remaining_,
                              " left"));
  }
  const size_t bytes = static_cast<size_t>(count) * sizeof(float);
  size_t got;
  if (absl::Status s = ReadExactly(out, bytes, &got); !s.ok()) return s;
  if (got < bytes) {
    return Error(absl::StrCat("truncated data: the stream ends ",
                              (static_cast<size_t>(remaining_) * sizeof(float)) - got,
                              " bytes before the record's end"));
  }
  remaining_ -= count;
  return absl::OkStatus();
}

absl::StatusOr<bool> NpyStreamReader::Next(NpyRecord* record) {
  NpyHeader header;
  absl::StatusOr<bool> more = NextHeader(&header);
  if (!more.ok() || !*more) return more;
  const int64_t n = header.num_elements();
  record->shape = std::move(header.shape);
  // The buffer grows as the data arrives (doubling from 64K floats) unless the size is
  // already known to be there: a stream's header alone never makes us allocate.
  const bool sized = regular_file_ || static_cast<int64_t>(record->data.capacity()) >= n;
  int64_t have = 0;
  do {
    const int64_t chunk = sized ? n - have : std::min(n - have, std::max<int64_t>(have, 1 << 16));
    try {
      record->data.resize(static_cast<size_t>(have + chunk));
    } catch (const std::bad_alloc&) {
      return Error(absl::StrCat("cannot hold a record of ", n, " floats in memory"));
    }
    if (absl::Status s = ReadData(record->data.data() + have, chunk); !s.ok()) return s;
    have += chunk;
  } while (have < n);
  return true;
}

}  // namespace attn::io
