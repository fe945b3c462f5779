// Delimited text tables with a header row: the head-metrics CSV, the clusters CSV and the
// silhouette TSV of docs/design.md (section 3).
#ifndef ATTN_LIB_IO_CSV_H_
#define ATTN_LIB_IO_CSV_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace attn::io {

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // each as wide as the header

  // Index of the column called `name`; NotFound names the columns there are.
  absl::StatusOr<int> ColumnIndex(const std::string& name) const;
  // The column called `name` parsed as numbers. A missing column is InvalidArgument (the
  // name came from the user); an empty or non-numeric cell is FailedPrecondition naming
  // the source, line and column.
  absl::StatusOr<std::vector<double>> NumericColumn(const std::string& name) const;
  // Appends a column (one value per row).
  void AddColumn(std::string name, std::vector<std::string> values);

  std::string source;  // named in errors, e.g. "stdin" or the file path
};

// Parses `text` (RFC 4180: fields may be double-quoted, with "" for a quote; CRLF is
// accepted). Every row must have as many fields as the header. A final newline is optional.
// Malformed text is FailedPrecondition.
absl::StatusOr<Table> ParseTable(std::string_view text, std::string source, char delimiter = ',');

// Reads and parses a file ("-" reads stdin, named "stdin" in errors).
absl::StatusOr<Table> ReadTable(const std::string& path, char delimiter = ',');

// The table as text, quoting only fields that need it; rows end with '\n'.
std::string FormatTable(const Table& table, char delimiter = ',');

// The shortest decimal text that reads back as exactly `value` ("0.1", "1e-09", "3").
std::string FormatDouble(double value);

}  // namespace attn::io

#endif  // ATTN_LIB_IO_CSV_H_
