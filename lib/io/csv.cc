#include "lib/io/csv.h"

#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/io/atomic_file.h"
#include "lib/io/printable.h"

namespace attn::io {

absl::StatusOr<int> Table::ColumnIndex(const std::string& name) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
  }
  return absl::NotFoundError(absl::StrCat(source, ": no column '", Printable(name),
                                          "'; the columns are: ", Printable(absl::StrJoin(header, ","), 200)));
}

absl::StatusOr<std::vector<double>> Table::NumericColumn(const std::string& name) const {
  absl::StatusOr<int> col = ColumnIndex(name);
  if (!col.ok()) return absl::InvalidArgumentError(col.status().message());
  std::vector<double> values;
  values.reserve(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    const std::string& cell = rows[r][*col];
    double value = 0;
    // from_chars takes neither a leading '+' nor spaces; CSV writers do not emit them.
    const char* begin = cell.data();
    const char* end = begin + cell.size();
    const auto [ptr, ec] = std::from_chars(begin, end, value);
    if (cell.empty() || ec != std::errc() || ptr != end || !std::isfinite(value)) {
      return absl::FailedPreconditionError(absl::StrCat(source, ": line ", r + 2, ", column '", Printable(name),
                                                     "': '", Printable(cell), "' is not a finite number"));
    }
    values.push_back(value);
  }
  return values;
}

void Table::AddColumn(std::string name, std::vector<std::string> values) {
  header.push_back(std::move(name));
  for (size_t r = 0; r < rows.size(); ++r) rows[r].push_back(std::move(values[r]));
}

absl::StatusOr<Table> ParseTable(std::string_view text, std::string source, char delimiter) {
  Table table;
  table.source = std::move(source);
  std::vector<std::vector<std::string>> records;
  std::vector<size_t> record_lines;  // where each record starts, for errors
  std::vector<std::string> record;
  std::string field;
  size_t line = 1, record_line = 1;
  size_t i = 0;
  bool record_open = false;  // a record has started (so a missing final newline still ends it)
  bool quoted = false;       // the record has a quoted field (so "" alone is not a blank line)
  while (i < text.size()) {
    const char c = text[i];
    record_open = true;
    if (c == '"' && field.empty()) {
      quoted = true;
      const size_t start_line = line;
      ++i;
      while (true) {
        if (i >= text.size()) {
          return absl::FailedPreconditionError(absl::StrCat(
              table.source, ": line ", start_line, ": unterminated quoted field"));
        }
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (text[i] == '\n') ++line;
        field.push_back(text[i++]);
      }
      continue;
    }
    if (c == delimiter) {
      record.push_back(std::move(field));
      field.clear();
      ++i;
      continue;
    }
    if (c == '\n' || c == '\r') {
      i += (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
      if (!record.empty() || !field.empty() || quoted) {  // else a blank line, skipped
        record.push_back(std::move(field));
        records.push_back(std::move(record));
        record_lines.push_back(record_line);
      }
      field.clear();
      record.clear();
      record_open = quoted = false;
      record_line = ++line;
      continue;
    }
    field.push_back(c);
    ++i;
  }
  if (record_open) {
    record.push_back(std::move(field));
    records.push_back(std::move(record));
    record_lines.push_back(record_line);
  }
  if (records.empty()) {
    return absl::FailedPreconditionError(table.source + ": empty input; expected a header row");
  }
  table.header = std::move(records[0]);
  for (size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() != table.header.size()) {
      return absl::FailedPreconditionError(absl::StrCat(table.source, ": line ", record_lines[r], " has ",
                                                     records[r].size(), " fields; the header has ",
                                                     table.header.size()));
    }
    table.rows.push_back(std::move(records[r]));
  }
  return table;
}

absl::StatusOr<Table> ReadTable(const std::string& path, char delimiter) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseTable(*text, path == "-" ? "stdin" : path, delimiter);
}

namespace {

void AppendField(const std::string& field, char delimiter, std::string* out) {
  if (field.find_first_of(std::string{delimiter, '"', '\n', '\r'}) == std::string::npos) {
    out->append(field);
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendRecord(const std::vector<std::string>& fields, char delimiter, std::string* out) {
  // One empty field would read back as a blank line.
  if (fields.size() == 1 && fields[0].empty()) {
    out->append("\"\"\n");
    return;
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out->push_back(delimiter);
    AppendField(fields[i], delimiter, out);
  }
  out->push_back('\n');
}

}  // namespace

std::string FormatTable(const Table& table, char delimiter) {
  std::string out;
  AppendRecord(table.header, delimiter, &out);
  for (const auto& row : table.rows) AppendRecord(row, delimiter, &out);
  return out;
}

std::string FormatDouble(double value) {
  char buf[64];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, ptr);
}

}  // namespace attn::io
