// libFuzzer target: lib/io/npy's NpyStreamReader over hostile bytes. The first byte picks
// the delivery (bit 0: pipe or regular file) and the API (bit 1: Next, or NextHeader with
// ReadData in pieces of 1 + (byte >> 2) % 8 floats, leaving every other record's data for
// NextHeader to skip). Every record Next accepts must survive a write and a re-read;
// errors are one line.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fuzz/check.h"
#include "fuzz/input_stream.h"
#include "lib/io/npy.h"

namespace {

using attn::fuzz::Check;
using attn::fuzz::CheckOneLineError;

using attn::io::NpyHeader;
using attn::io::NpyRecord;
using attn::io::NpyStreamReader;

// Writes `record` as a stream of its own and reads it back.
void CheckRoundTrip(const NpyRecord& record) {
  char* buf = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&buf, &size);
  Check(attn::io::WriteNpyRecord(out, record.data.data(), record.shape).ok());
  std::fclose(out);
  FILE* in = fmemopen(buf, size, "rb");
  NpyStreamReader reader(in, "round trip");
  NpyRecord back;
  absl::StatusOr<bool> more = reader.Next(&back);
  Check(more.ok() && *more && back.shape == record.shape && back.data.size() == record.data.size());
  Check(record.data.empty() ||
        std::memcmp(back.data.data(), record.data.data(), record.data.size() * sizeof(float)) == 0);
  std::fclose(in);
  std::free(buf);
}

void ReadWhole(NpyStreamReader* reader) {
  NpyRecord record;
  while (true) {
    absl::StatusOr<bool> more = reader->Next(&record);
    CheckOneLineError(more.status());
    if (!more.ok() || !*more) return;
    Check(static_cast<int64_t>(record.data.size()) == NpyHeader{record.shape}.num_elements());
    CheckRoundTrip(record);
  }
}

void ReadInPieces(NpyStreamReader* reader, int piece) {
  float buf[8];
  NpyHeader header;
  while (true) {
    absl::StatusOr<bool> more = reader->NextHeader(&header);
    CheckOneLineError(more.status());
    if (!more.ok() || !*more) return;
    // Every other record is left unread for NextHeader to skip.
    const int64_t wanted = reader->record_index() % 2 == 0 ? header.num_elements() : 0;
    for (int64_t done = 0; done < wanted; done += piece) {
      const absl::Status s = reader->ReadData(buf, std::min<int64_t>(piece, wanted - done));
      CheckOneLineError(s);
      if (!s.ok()) return;
    }
    Check(!reader->ReadData(buf, 1).ok() || wanted < header.num_elements());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  FILE* in = attn::fuzz::OpenInput(data + 1, size - 1, mode & 1);
  if (in == nullptr) return 0;
  NpyStreamReader reader(in, "fuzz.npy");
  if (mode & 2) {
    ReadInPieces(&reader, 1 + (mode >> 2) % 8);
  } else {
    ReadWhole(&reader);
  }
  std::fclose(in);
  return 0;
}
