#include "lib/analysis/head_metrics.h"

#include <cmath>
#include <limits>
#include <new>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/io/atomic_file.h"

namespace attn::analysis {
namespace {

constexpr double kEps = 1e-9;

std::string ShapeText(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

// One head matrix of one record, waiting to be measured.
struct Slot {
  std::vector<float> data;
  int64_t record = 0;
  int64_t matrix = 0;  // layer * heads + head
  absl::StatusOr<MatrixMetrics> result;
};

}  // namespace

absl::StatusOr<MatrixMetrics> ComputeMatrixMetrics(const float* attention, int64_t length,
                                                   double threshold) {
  const int64_t n = length;
  double entropy_sum = 0, weighted_distance = 0, total = 0;
  int64_t below = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = attention + i * n;
    double row_sum = 0;
    for (int64_t j = 0; j < n; ++j) {
      const float x = row[j];
      if (!(x >= 0) || x > std::numeric_limits<float>::max()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "entry [", i, ", ", j, "] is ", x, "; attention must be finite and non-negative"));
      }
      row_sum += x;
    }
    const double denom = row_sum + kEps;
    double row_entropy = 0;
    for (int64_t j = 0; j < n; ++j) {
      // A zero entry adds nothing to the entropy (0 * log(1e-9)) or the distance, and is
      // below any positive threshold: skipping it is exact and halves causal work.
      if (row[j] == 0) {
        ++below;
        continue;
      }
      const double a = row[j] / denom;
      if (a < threshold) ++below;
      row_entropy -= a * std::log(a + kEps);
      weighted_distance += a * static_cast<double>(i > j ? i - j : j - i);
      total += a;
    }
    entropy_sum += row_entropy;
  }
  if (!(total > 0)) {
    return absl::InvalidArgumentError("every entry is zero; expected attention probabilities");
  }
  MatrixMetrics m;
  m.entropy = entropy_sum / static_cast<double>(n);
  m.sparsity = static_cast<double>(below) / (static_cast<double>(n) * static_cast<double>(n));
  m.distance = weighted_distance / total;
  return m;
}

absl::StatusOr<std::vector<HeadMetrics>> ComputeHeadMetrics(io::NpyStreamReader* reader,
                                                            const HeadMetricsOptions& options) {
  const std::string& source = reader->source_name();
  io::NpyHeader first;
  absl::StatusOr<bool> more = reader->NextHeader(&first);
  if (!more.ok()) return more.status();
  if (!*more) {
    return absl::FailedPreconditionError(source + ": no records; expected an attention stream");
  }
  const std::vector<int64_t> shape = first.shape;
  if (shape.size() != 4 || shape[2] != shape[3] || shape[0] < 1 || shape[1] < 1 || shape[2] < 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        source, ": record 0 has shape ", ShapeText(shape),
        "; expected [layers, heads, L, L] attention"));
  }
  const int heads = static_cast<int>(shape[1]);
  const int64_t length = shape[2];
  const int64_t matrices = shape[0] * shape[1];
  const int64_t matrix_size = length * length;
  const int threads = std::max(1, options.threads);

  // Two batches of `threads` matrices: one being measured while the other is read.
  std::vector<Slot> batches[2];
  try {
    for (auto& batch : batches) {
      batch.resize(static_cast<size_t>(threads));
      for (Slot& slot : batch) slot.data.resize(static_cast<size_t>(matrix_size));
    }
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrCat(
        source, ": cannot hold ", 2 * threads, " head matrices of ", length, " x ", length,
        " floats; use fewer --threads"));
  }
  int64_t record = 0, next_matrix = 0;
  bool stream_done = false;
  // Fills `batch` from the stream; returns how many slots hold a matrix.
  auto fill = [&](std::vector<Slot>& batch) -> absl::StatusOr<int> {
    int filled = 0;
    while (filled < threads && !stream_done) {
      if (next_matrix == matrices) {
        io::NpyHeader header;
        absl::StatusOr<bool> more = reader->NextHeader(&header);
        if (!more.ok()) return more.status();
        if (!*more) {
          stream_done = true;
          break;
        }
        if (header.shape != shape) {
          return absl::FailedPreconditionError(absl::StrCat(
              source, ": record ", reader->record_index(), " has shape ", ShapeText(header.shape),
              " but record 0 has ", ShapeText(shape), "; records must all have the same shape"));
        }
        ++record;
        next_matrix = 0;
      }
      Slot& slot = batch[filled++];
      if (absl::Status s = reader->ReadData(slot.data.data(), matrix_size); !s.ok()) return s;
      slot.record = record;
      slot.matrix = next_matrix++;
    }
    if (options.progress != nullptr) options.progress->Update(reader->bytes_read());
    return filled;
  };

  std::vector<MatrixMetrics> sums(static_cast<size_t>(matrices));
  absl::StatusOr<int> filled = fill(batches[0]);
  for (int current = 0; filled.ok() && *filled > 0; current ^= 1) {
    std::vector<Slot>& batch = batches[current];
    const int count = *filled;
    std::vector<std::thread> workers;
    for (int t = 0; t < count; ++t) {
      workers.emplace_back([&slot = batch[t], length, &options] {
        slot.result = ComputeMatrixMetrics(slot.data.data(), length, options.threshold);
      });
    }
    filled = fill(batches[current ^ 1]);
    for (std::thread& w : workers) w.join();
    // Accumulate in stream order so the sums do not depend on the thread count.
    for (int t = 0; t < count; ++t) {
      const Slot& slot = batch[t];
      if (!slot.result.ok()) {
        return absl::FailedPreconditionError(absl::StrCat(
            source, ": record ", slot.record, ", layer ", slot.matrix / heads, ", head ",
            slot.matrix % heads, ": ", slot.result.status().message()));
      }
      MatrixMetrics& sum = sums[static_cast<size_t>(slot.matrix)];
      sum.entropy += slot.result->entropy;
      sum.sparsity += slot.result->sparsity;
      sum.distance += slot.result->distance;
    }
  }
  if (!filled.ok()) return filled.status();

  const double records = static_cast<double>(record + 1);
  std::vector<HeadMetrics> out;
  out.reserve(static_cast<size_t>(matrices));
  for (int64_t m = 0; m < matrices; ++m) {
    HeadMetrics h;
    h.layer = static_cast<int>(m / heads);
    h.head = static_cast<int>(m % heads);
    h.metrics.entropy = sums[m].entropy / records;
    h.metrics.sparsity = sums[m].sparsity / records;
    h.metrics.distance = sums[m].distance / records;
    out.push_back(h);
  }
  return out;
}

io::Table HeadMetricsTable(const std::vector<HeadMetrics>& heads) {
  io::Table table;
  table.header = {"layer", "head", "entropy", "sparsity", "distance"};
  for (const HeadMetrics& h : heads) {
    table.rows.push_back({absl::StrCat(h.layer), absl::StrCat(h.head),
                          io::FormatDouble(h.metrics.entropy), io::FormatDouble(h.metrics.sparsity),
                          io::FormatDouble(h.metrics.distance)});
  }
  return table;
}

absl::Status WriteHeadMetrics(const std::string& input, const std::string& output,
                              double threshold, int threads) {
  if (!(threshold > 0)) {
    return absl::InvalidArgumentError(absl::StrCat("--threshold=", threshold, " must be > 0"));
  }
  absl::StatusOr<FILE*> file = io::OpenForReading(input);
  if (!file.ok()) return file.status();
  io::NpyStreamReader reader(*file, input == "-" ? "stdin" : input);
  runtime::Progress progress("head_metrics", 0, "B");
  HeadMetricsOptions options;
  options.threshold = threshold;
  options.threads = threads;
  options.progress = &progress;
  absl::StatusOr<std::vector<HeadMetrics>> heads = ComputeHeadMetrics(&reader, options);
  if (*file != stdin) std::fclose(*file);
  if (!heads.ok()) return heads.status();
  progress.Finish(absl::StrCat(reader.record_index() + 1, " sequences, ", heads->size(), " heads"));
  absl::StatusOr<io::AtomicFile> out = io::AtomicFile::Open(output);
  if (!out.ok()) return out.status();
  if (absl::Status s = out->Write(io::FormatTable(HeadMetricsTable(*heads))); !s.ok()) return s;
  return out->Commit();
}

}  // namespace attn::analysis
