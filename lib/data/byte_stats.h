// Unigram statistics of byte tokens, for tokenize --stats.
#ifndef ATTN_LIB_DATA_BYTE_STATS_H_
#define ATTN_LIB_DATA_BYTE_STATS_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attn::data {

struct ByteStats {
  int64_t bytes = 0;
  int distinct_tokens = 0;
  // -sum_b p(b) log2 p(b) over the byte frequencies: the bits per byte of the best
  // order-0 model of this text, a baseline a language model's bpc must beat.
  double entropy_bits_per_byte = 0;
};

class ByteHistogram {
 public:
  void Add(std::string_view bytes);
  void Merge(const ByteHistogram& other);
  ByteStats Stats() const;
  int64_t count(unsigned char b) const { return counts_[b]; }

 private:
  std::array<int64_t, 256> counts_{};
};

ByteStats ComputeByteStats(std::string_view bytes);

// A TSV table: header "split<TAB>bytes<TAB>distinct_tokens<TAB>entropy_bits_per_byte", then
// one row per named entry, entropy with 6 decimals.
std::string FormatStatsTable(const std::vector<std::pair<std::string, ByteStats>>& rows);

}  // namespace attn::data

#endif  // ATTN_LIB_DATA_BYTE_STATS_H_
