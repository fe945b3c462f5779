#include "lib/analysis/head_metrics.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace attn::analysis {
namespace {

// A work item is whole rows of one head matrix, about this many bytes (so a thread's item
// stays in its L2 cache from the read to the measuring); the blocks depend on L only, so the
// sums (added item by item in stream order) do not depend on the thread count.
constexpr int64_t kItemBytes = int64_t{256} << 10;
// Data is read in pieces of at most this many floats, so memory grows with what arrives.
constexpr int64_t kReadFloats = int64_t{1} << 18;
// Items read but not yet added up, per thread, at most (a thread far behind holds the rest).
constexpr int64_t kPendingPerThread = 4;

std::string ShapeText(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

// Floats that keep their values when the buffer grows and are never zero-filled.
class FloatBuffer {
 public:
  float* data() { return data_.get(); }
  // Makes room for `size` floats, keeping the first `keep`.
  void Reserve(size_t size, size_t keep) {
    if (size <= capacity_) return;
    const size_t capacity = std::max(size, capacity_ + capacity_ / 2);
    std::unique_ptr<float[]> bigger(new float[capacity]);
    if (keep > 0) std::memcpy(bigger.get(), data_.get(), keep * sizeof(float));
    data_ = std::move(bigger);
    capacity_ = capacity;
  }

 private:
  std::unique_ptr<float[]> data_;
  size_t capacity_ = 0;
};

// Rows of one head matrix: read by one thread, measured by it, added up in stream order.
struct Item {
  int64_t seq = 0;  // position in the stream
  int64_t record = 0;
  int64_t matrix = 0;  // layer * heads + head
  int64_t first_row = 0;
  int64_t rows = 0;
  std::shared_ptr<const std::vector<double>> class_masks;  // the record's; null without tokens
  MatrixSums sums;
  absl::Status status;  // a read error (the stream ends here) or a bad entry
};

// Joins the threads it holds when it goes out of scope, whatever happens.
class Workers {
 public:
  ~Workers() {
    for (std::thread& t : threads_) t.join();
  }
  template <typename Fn>
  void Start(int count, const Fn& fn) {
    for (int t = 0; t < count; ++t) threads_.emplace_back(fn);
  }

 private:
  std::vector<std::thread> threads_;
};

// Every thread (the caller's too) takes turns reading the next item from the stream into
// its own buffer, measures it outside the lock, and hands the sums back; whoever hands back
// the oldest outstanding item adds up what is ready, in stream order.
class Reducer {
 public:
  Reducer(io::NpyStreamReader* reader, const MeasureOptions& options)
      : reader_(reader),
        options_(options),
        source_(reader->source_name()),
        threads_(std::max(1, options.threads)),
        metrics_(SelectHeadMetrics(static_cast<bool>(options.token_window))) {}

  absl::StatusOr<std::vector<HeadMetrics>> Run(int64_t* records);

 private:
  void Work();
  void WorkUntilStopped(std::unique_lock<std::mutex>* lock, FloatBuffer* buffer);
  // With the lock held: reads the next item into `buffer`; false at the stream's clean end.
  absl::StatusOr<bool> Read(Item* item, FloatBuffer* buffer);
  absl::Status StartRecord(bool* more);
  // With the lock held: takes a measured item and adds up every item now in order.
  void HandBack(Item item);
  absl::Status Add(Item* item);
  absl::Status FinishMatrix(int64_t record, int64_t matrix);
  void Stop(absl::Status status);
  std::string Where(int64_t record, int64_t matrix) const {
    return absl::StrCat(source_, ": record ", record, ", layer ", matrix / heads_, ", head ",
                        matrix % heads_, ": ");
  }

  io::NpyStreamReader* reader_;
  const MeasureOptions& options_;
  const std::string source_;
  const int threads_;
  const std::vector<const HeadMetric*> metrics_;

  std::mutex mutex_;  // guards everything below
  std::condition_variable room_;  // signalled as items are added up, and on stopping
  // The stream's shape, from record 0.
  std::vector<int64_t> shape_;
  int64_t heads_ = 1, length_ = 0, matrices_ = 0, rows_per_item_ = 1;
  // Where reading stands: the record being read (-1 before the first), the matrix and row
  // the next item starts at, the next item's seq. stopped_: nothing more is read.
  int64_t record_ = -1, matrix_ = 0, row_ = 0, next_seq_ = 0;
  bool stopped_ = false;
  std::shared_ptr<const std::vector<double>> class_masks_;
  // Adding up: items handed back out of order wait in pending_; added_ is the next seq due.
  std::map<int64_t, Item> pending_;
  int64_t added_ = 0;
  absl::Status error_;  // the first error in stream order
  MatrixSums open_;     // the matrix being added up
  std::vector<HeadMetrics> heads_out_;
};

absl::Status Reducer::StartRecord(bool* more) {
  io::NpyHeader header;
  absl::StatusOr<bool> next = reader_->NextHeader(&header);
  if (!next.ok()) return next.status();
  *more = *next;
  if (!*next) {
    if (record_ < 0) {
      return absl::FailedPreconditionError(source_ + ": no records; expected an attention stream");
    }
    return absl::OkStatus();
  }
  if (record_ < 0) {
    const std::vector<int64_t>& s = header.shape;
    if (s.size() != 4 || s[2] != s[3] || s[0] < 1 || s[1] < 1 || s[2] < 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          source_, ": record 0 has shape ", ShapeText(s),
          "; expected [layers, heads, L, L] attention"));
    }
    shape_ = s;
    heads_ = s[1];
    length_ = s[2];
    matrices_ = s[0] * s[1];  // the reader checked that the element count fits in int64
    rows_per_item_ = std::max<int64_t>(1, kItemBytes / (length_ * int64_t{sizeof(float)}));
  } else if (header.shape != shape_) {
    return absl::FailedPreconditionError(absl::StrCat(
        source_, ": record ", reader_->record_index(), " has shape ", ShapeText(header.shape),
        " but record 0 has ", ShapeText(shape_), "; records must all have the same shape"));
  }
  ++record_;
  matrix_ = 0;
  row_ = 0;
  if (options_.token_window) {
    absl::StatusOr<std::string> window = options_.token_window(record_, length_);
    if (!window.ok()) return window.status();
    class_masks_ = std::make_shared<const std::vector<double>>(ClassMasks(*window));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Reducer::Read(Item* item, FloatBuffer* buffer) {
  if (record_ < 0 || (matrix_ == matrices_ - 1 && row_ == length_)) {
    bool more = false;
    if (absl::Status s = StartRecord(&more); !s.ok()) return s;
    if (!more) return false;
  } else if (row_ == length_) {
    ++matrix_;
    row_ = 0;
  }
  item->record = record_;
  item->matrix = matrix_;
  item->first_row = row_;
  item->rows = std::min(rows_per_item_, length_ - row_);
  item->class_masks = class_masks_;
  const size_t floats = static_cast<size_t>(item->rows * length_);
  for (size_t got = 0; got < floats;) {
    const size_t piece = std::min(floats - got, static_cast<size_t>(kReadFloats));
    buffer->Reserve(got + piece, got);
    if (absl::Status s = reader_->ReadData(buffer->data() + got, static_cast<int64_t>(piece));
        !s.ok()) {
      return s;
    }
    got += piece;
  }
  row_ += item->rows;
  if (options_.progress != nullptr) options_.progress->Update(reader_->bytes_read());
  return true;
}

void Reducer::Stop(absl::Status status) {
  if (error_.ok()) error_ = std::move(status);
  stopped_ = true;
  pending_.clear();
  room_.notify_all();
}

absl::Status Reducer::FinishMatrix(int64_t record, int64_t matrix) {
  if (!(open_.mass > 0)) {
    return absl::FailedPreconditionError(
        Where(record, matrix) + "every entry is zero; expected attention probabilities");
  }
  if (record == 0) {
    HeadMetrics h;
    h.layer = matrix / heads_;
    h.head = matrix % heads_;
    h.values.assign(metrics_.size(), 0.0);
    heads_out_.push_back(std::move(h));
  }
  HeadMetrics& h = heads_out_[static_cast<size_t>(matrix)];
  for (size_t m = 0; m < metrics_.size(); ++m) h.values[m] += metrics_[m]->value(open_);
  if (options_.profiles) {
    if (h.profile.empty()) h.profile.assign(open_.profile.size(), 0.0);
    for (size_t d = 0; d < open_.profile.size(); ++d) h.profile[d] += open_.profile[d];
  }
  open_ = MatrixSums();
  return absl::OkStatus();
}

absl::Status Reducer::Add(Item* item) {
  if (!item->status.ok()) return item->status;
  if (item->first_row == 0) {
    open_ = std::move(item->sums);
  } else {
    open_.Add(item->sums);
  }
  if (item->first_row + item->rows < length_) return absl::OkStatus();
  return FinishMatrix(item->record, item->matrix);
}

void Reducer::HandBack(Item item) {
  if (error_.ok() && item.seq >= added_) pending_.emplace(item.seq, std::move(item));
  for (auto it = pending_.find(added_); it != pending_.end(); it = pending_.find(added_)) {
    Item next = std::move(it->second);
    pending_.erase(it);
    ++added_;
    if (absl::Status s = Add(&next); !s.ok()) return Stop(std::move(s));
  }
  room_.notify_all();
}

void Reducer::WorkUntilStopped(std::unique_lock<std::mutex>* lock, FloatBuffer* buffer) {
  RowPass pass;
  pass.threshold = options_.threshold;
  pass.profile = options_.profiles;
  while (true) {
    room_.wait(*lock, [this] {
      return stopped_ || next_seq_ - added_ < kPendingPerThread * threads_;
    });
    if (stopped_) return;
    Item item;
    item.seq = next_seq_++;
    absl::StatusOr<bool> more = Read(&item, buffer);
    if (more.ok() && !*more) {
      stopped_ = true;  // the clean end: items in flight are still handed back
      room_.notify_all();
      return;
    }
    if (!more.ok()) {
      // Items before this one come first: the error waits its turn like an item.
      stopped_ = true;
      item.status = more.status();
      HandBack(std::move(item));
      room_.notify_all();
      return;
    }
    lock->unlock();
    pass.class_masks = item.class_masks ? item.class_masks->data() : nullptr;
    const absl::Status s =
        AddRows(buffer->data(), item.first_row, item.rows, length_, pass, &item.sums);
    if (!s.ok()) {
      item.status = absl::FailedPreconditionError(Where(item.record, item.matrix) +
                                                  std::string(s.message()));
    }
    lock->lock();
    HandBack(std::move(item));
  }
}

void Reducer::Work() {
  std::unique_lock<std::mutex> lock(mutex_);
  try {
    FloatBuffer buffer;
    WorkUntilStopped(&lock, &buffer);
  } catch (const std::bad_alloc&) {
    if (!lock.owns_lock()) lock.lock();
    Stop(absl::ResourceExhaustedError(absl::StrCat(
        source_, ": out of memory measuring record ", record_, "; use fewer threads")));
  } catch (const std::exception& e) {
    if (!lock.owns_lock()) lock.lock();
    Stop(absl::InternalError(absl::StrCat(source_, ": ", e.what())));
  }
}

absl::StatusOr<std::vector<HeadMetrics>> Reducer::Run(int64_t* records) {
  {
    Workers workers;
    workers.Start(threads_ - 1, [this] { Work(); });
    Work();
  }
  if (!error_.ok()) return error_;
  const double n = static_cast<double>(record_ + 1);
  for (HeadMetrics& h : heads_out_) {
    for (double& v : h.values) v /= n;
    for (double& p : h.profile) p /= n * static_cast<double>(length_);
  }
  if (records != nullptr) *records = record_ + 1;
  return std::move(heads_out_);
}

}  // namespace

absl::StatusOr<std::vector<double>> ComputeMatrixMetrics(const float* attention, int64_t length,
                                                         double threshold) {
  RowPass pass;
  pass.threshold = threshold;
  MatrixSums sums;
  if (absl::Status s = AddRows(attention, 0, length, length, pass, &sums); !s.ok()) return s;
  if (!(sums.mass > 0)) {
    return absl::InvalidArgumentError("every entry is zero; expected attention probabilities");
  }
  std::vector<double> values;
  for (const HeadMetric* m : SelectHeadMetrics(false)) values.push_back(m->value(sums));
  return values;
}

absl::StatusOr<std::vector<HeadMetrics>> ComputeHeadMetrics(io::NpyStreamReader* reader,
                                                            const MeasureOptions& options,
                                                            int64_t* records) {
  try {
    return Reducer(reader, options).Run(records);
  } catch (const std::exception& e) {  // std::system_error: no thread could be started
    return absl::InternalError(absl::StrCat(reader->source_name(), ": ", e.what()));
  }
}

io::Table HeadMetricsTable(const std::vector<HeadMetrics>& heads, bool with_tokens) {
  io::Table table;
  table.header = {"layer", "head"};
  for (const HeadMetric* m : SelectHeadMetrics(with_tokens)) table.header.push_back(m->name);
  for (const HeadMetrics& h : heads) {
    std::vector<std::string> row = {absl::StrCat(h.layer), absl::StrCat(h.head)};
    for (double v : h.values) row.push_back(io::FormatDouble(v));
    table.rows.push_back(std::move(row));
  }
  return table;
}

io::Table ProfileTable(const std::vector<HeadMetrics>& heads) {
  io::Table table;
  table.header = {"layer", "head"};
  const size_t length = heads.empty() ? 0 : heads[0].profile.size();
  for (size_t d = 0; d < length; ++d) table.header.push_back(absl::StrCat("d", d));
  for (const HeadMetrics& h : heads) {
    std::vector<std::string> row = {absl::StrCat(h.layer), absl::StrCat(h.head)};
    for (double v : h.profile) row.push_back(io::FormatDouble(v));
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace attn::analysis
