// libFuzzer target: lib/io/csv's ParseTable over hostile text. The first byte picks the
// delimiter (',' or tab). Every table it accepts must format and parse back to itself, and
// NumericColumn must answer for every column. Errors are one line.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz/check.h"
#include "lib/io/csv.h"

using attn::fuzz::Check;
using attn::fuzz::CheckOneLineError;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const char delimiter = (data[0] & 1) ? '\t' : ',';
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  absl::StatusOr<attn::io::Table> table = attn::io::ParseTable(text, "fuzz.csv", delimiter);
  CheckOneLineError(table.status());
  if (!table.ok()) return 0;
  for (const auto& row : table->rows) Check(row.size() == table->header.size());
  for (const std::string& name : table->header) {
    absl::StatusOr<std::vector<double>> column = table->NumericColumn(name);
    CheckOneLineError(column.status());
    Check(!column.ok() || column->size() == table->rows.size());
  }
  CheckOneLineError(table->NumericColumn("no such column").status());
  absl::StatusOr<attn::io::Table> back =
      attn::io::ParseTable(attn::io::FormatTable(*table, delimiter), "round trip", delimiter);
  Check(back.ok() && back->header == table->header && back->rows == table->rows);
  return 0;
}
