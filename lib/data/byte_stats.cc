#include "lib/data/byte_stats.h"

#include <cmath>

#include "absl/strings/str_format.h"

namespace attn::data {

void ByteHistogram::Add(std::string_view bytes) {
  // Four tables break the store-to-load dependency on one counter when the same byte
  // repeats (runs of spaces and markup in XML).
  std::array<std::array<uint32_t, 256>, 4> partial{};
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  // uint32 counters: flush before any can overflow.
  constexpr size_t kBlock = size_t{1} << 30;
  while (n > 0) {
    const size_t block = n < kBlock ? n : kBlock;
    size_t i = 0;
    for (; i + 4 <= block; i += 4) {
      ++partial[0][p[i]];
      ++partial[1][p[i + 1]];
      ++partial[2][p[i + 2]];
      ++partial[3][p[i + 3]];
    }
    for (; i < block; ++i) ++partial[0][p[i]];
    for (auto& table : partial) {
      for (int b = 0; b < 256; ++b) counts_[b] += table[b];
      table.fill(0);
    }
    p += block;
    n -= block;
  }
}

void ByteHistogram::Merge(const ByteHistogram& other) {
  for (int b = 0; b < 256; ++b) counts_[b] += other.counts_[b];
}

ByteStats ByteHistogram::Stats() const {
  ByteStats stats;
  for (int64_t c : counts_) {
    stats.bytes += c;
    if (c > 0) ++stats.distinct_tokens;
  }
  if (stats.bytes == 0) return stats;
  const double total = static_cast<double>(stats.bytes);
  double entropy = 0;
  for (int64_t c : counts_) {
    if (c == 0) continue;
    const double p = static_cast<double>(c) / total;
    entropy -= p * std::log2(p);
  }
  stats.entropy_bits_per_byte = entropy;
  return stats;
}

ByteStats ComputeByteStats(std::string_view bytes) {
  ByteHistogram histogram;
  histogram.Add(bytes);
  return histogram.Stats();
}

std::string FormatStatsTable(const std::vector<std::pair<std::string, ByteStats>>& rows) {
  std::string table = "split\tbytes\tdistinct_tokens\tentropy_bits_per_byte\n";
  for (const auto& [name, s] : rows) {
    absl::StrAppendFormat(&table, "%s\t%d\t%d\t%.6f\n", name, s.bytes, s.distinct_tokens,
                          s.entropy_bits_per_byte);
  }
  return table;
}

}  // namespace attn::data
