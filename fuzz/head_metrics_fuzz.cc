// libFuzzer target: lib/analysis' head-metrics core over hostile bytes, through its public
// API only. The first byte picks the delivery (bit 0: pipe or regular file) and the threads
// (1 + bit 1); the rest is the attention stream for ComputeHeadMetrics. The same bytes, as
// floats, are also one square matrix for ComputeMatrixMetrics. Metrics of accepted input
// must lie in their ranges; errors are one line.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fuzz/check.h"
#include "fuzz/input_stream.h"
#include "lib/analysis/head_metrics.h"

namespace {

using attn::fuzz::Check;
using attn::fuzz::CheckOneLineError;

// The default metrics in table order: entropy, sparsity, distance.
void CheckRanges(const std::vector<double>& m, int64_t length) {
  // A row renormalised by its sum s + 1e-9 sums to s / (s + 1e-9) <= 1, so its entropy is at
  // most log L - s log s <= log L + 1/e; the distance is a weighted mean of |i - j| <= L - 1.
  const double slack = 1e-6;
  Check(m.size() == 3);
  Check(m[0] >= -slack && m[0] <= std::log(static_cast<double>(length)) + 1 / M_E + slack);
  Check(m[1] >= 0 && m[1] <= 1);
  Check(m[2] >= 0 && m[2] <= static_cast<double>(length - 1) + slack);
}

void FuzzMatrix(const uint8_t* data, size_t size) {
  const int64_t floats = static_cast<int64_t>(size / sizeof(float));
  const int64_t length = static_cast<int64_t>(std::sqrt(static_cast<double>(floats)));
  if (length == 0) return;
  std::vector<float> matrix(static_cast<size_t>(length * length));
  std::memcpy(matrix.data(), data, matrix.size() * sizeof(float));
  absl::StatusOr<std::vector<double>> m = attn::analysis::ComputeMatrixMetrics(matrix.data(), length, 1e-4);
  CheckOneLineError(m.status());
  if (m.ok()) CheckRanges(*m, length);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  FuzzMatrix(data + 1, size - 1);
  FILE* in = attn::fuzz::OpenInput(data + 1, size - 1, mode & 1);
  if (in == nullptr) return 0;
  attn::io::NpyStreamReader reader(in, "fuzz.npy");
  attn::analysis::MeasureOptions options;
  options.threads = 1 + ((mode >> 1) & 1);
  absl::StatusOr<std::vector<attn::analysis::HeadMetrics>> heads =
      attn::analysis::ComputeHeadMetrics(&reader, options);
  std::fclose(in);
  CheckOneLineError(heads.status());
  if (!heads.ok()) return 0;
  Check(!heads->empty());
  for (const attn::analysis::HeadMetrics& h : *heads) {
    Check(h.values.size() == 3 && h.values[0] >= -1e-6 && h.values[1] >= 0 && h.values[2] >= 0 &&
          h.values[1] <= 1);
  }
  return 0;
}
