#include "lib/analysis/ward.h"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "lib/analysis/parallel_for.h"

namespace attn::analysis {
namespace {

constexpr int64_t kMaxPoints = 65536;

// Position of pair (i, j), i < j, in the condensed upper triangle (scipy's layout).
inline int64_t Condensed(int64_t n, int64_t i, int64_t j) {
  if (i > j) std::swap(i, j);
  return n * i - (i * (i + 1)) / 2 + (j - i - 1);
}

// scipy's _hierarchy_distance_update._ward, term for term.
inline double WardUpdate(double d_xi, double d_yi, double d_xy, int size_x, int size_y,
                         int size_i) {
  const double t = 1.0 / (size_x + size_y + size_i);
  return std::sqrt((size_i + size_x) * t * d_xi * d_xi + (size_i + size_y) * t * d_yi * d_yi -
                   size_i * t * d_xy * d_xy);
}

// The condensed distances, on huge pages where the kernel offers them: the chain reads a
// column of the triangle, one entry per row, so 4 KB pages would cost a TLB miss per entry.
class CondensedMatrix {
 public:
  explicit CondensedMatrix(size_t size) : bytes_(std::max<size_t>(size, 1) * sizeof(double)) {
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    data_ = p == MAP_FAILED ? nullptr : static_cast<double*>(p);
    if (data_ != nullptr) madvise(p, bytes_, MADV_HUGEPAGE);
  }
  ~CondensedMatrix() {
    if (data_ != nullptr) munmap(data_, bytes_);
  }
  CondensedMatrix(const CondensedMatrix&) = delete;
  CondensedMatrix& operator=(const CondensedMatrix&) = delete;
  double* data() const { return data_; }

 private:
  size_t bytes_;
  double* data_;
};

}  // namespace

absl::StatusOr<std::vector<Merge>> WardLinkage(const Points& x, int threads,
                                               const Dissimilarity& dissimilarity) {
  const int64_t n = x.rows();
  if (n < 2) {
    return absl::FailedPreconditionError(absl::StrCat("Ward clustering needs at least 2 rows; got ", n));
  }
  if (n > kMaxPoints) {
    return absl::FailedPreconditionError(absl::StrCat(
        "Ward clustering of ", n, " rows needs ", n * (n - 1) / 2 * 8 / 1000000000,
        " GB of distances; the limit is ", kMaxPoints, " rows"));
  }
  CondensedMatrix storage(static_cast<size_t>(n * (n - 1) / 2));
  double* d = storage.data();
  if (d == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "cannot allocate ", n * (n - 1) / 2 * 8 / 1000000, " MB for the Ward distances of ", n,
        " rows"));
  }
  ParallelFor(n, threads, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      // Row i of the condensed triangle, j = i + 1 .. n - 1, is contiguous.
      if (i + 1 < n) dissimilarity.row(x, i, i + 1, n, d + Condensed(n, i, i + 1));
    }
  });

  // Nearest-neighbour chain (scipy's nn_chain). Slot y keeps a merged cluster; slot x dies.
  std::vector<int> size(n, 1);
  std::vector<int64_t> chain;
  chain.reserve(n);
  std::vector<Merge> merges(n - 1);
  for (int64_t k = 0; k < n - 1; ++k) {
    if (chain.empty()) {
      for (int64_t i = 0; i < n; ++i) {
        if (size[i] > 0) {
          chain.push_back(i);
          break;
        }
      }
    }
    int64_t x_slot, y_slot;
    double current_min;
    while (true) {
      x_slot = chain.back();
      // Prefer the previous chain element on ties, so the chain cannot cycle.
      if (chain.size() > 1) {
        y_slot = chain[chain.size() - 2];
        current_min = d[Condensed(n, x_slot, y_slot)];
      } else {
        y_slot = -1;
        current_min = std::numeric_limits<double>::infinity();
      }
      for (int64_t i = 0; i < n; ++i) {
        if (size[i] == 0 || i == x_slot) continue;
        const double dist = d[Condensed(n, x_slot, i)];
        if (dist < current_min) {
          current_min = dist;
          y_slot = i;
        }
      }
      if (chain.size() > 1 && y_slot == chain[chain.size() - 2]) break;
      chain.push_back(y_slot);
    }
    chain.resize(chain.size() - 2);
    if (x_slot > y_slot) std::swap(x_slot, y_slot);
    const int nx = size[x_slot], ny = size[y_slot];
    merges[k] = {static_cast<int>(x_slot), static_cast<int>(y_slot), current_min, nx + ny};
    size[x_slot] = 0;
    size[y_slot] = nx + ny;
    for (int64_t i = 0; i < n; ++i) {
      const int ni = size[i];
      if (ni == 0 || i == y_slot) continue;
      double& d_iy = d[Condensed(n, i, y_slot)];
      d_iy = WardUpdate(d[Condensed(n, i, x_slot)], d_iy, current_min, nx, ny, ni);
    }
  }

  // Sort by distance (stable, as scipy's mergesort) and name clusters as scipy's label():
  // a slot stands for the cluster that contains its point.
  std::stable_sort(merges.begin(), merges.end(),
                   [](const Merge& a, const Merge& b) { return a.distance < b.distance; });
  std::vector<int> parent(2 * n - 1);
  for (int64_t i = 0; i < 2 * n - 1; ++i) parent[i] = static_cast<int>(i);
  auto find = [&](int v) {
    int root = v;
    while (parent[root] != root) root = parent[root];
    while (parent[v] != root) v = std::exchange(parent[v], root);
    return root;
  };
  for (int64_t m = 0; m < n - 1; ++m) {
    const int ra = find(merges[m].a), rb = find(merges[m].b);
    merges[m].a = std::min(ra, rb);
    merges[m].b = std::max(ra, rb);
    parent[ra] = parent[rb] = static_cast<int>(n + m);
  }
  return merges;
}

std::vector<int> CutTree(const std::vector<Merge>& merges, int n, int k) {
  std::vector<int> parent(2 * n - 1);
  for (int i = 0; i < 2 * n - 1; ++i) parent[i] = i;
  for (int m = 0; m < n - k; ++m) parent[merges[m].a] = parent[merges[m].b] = n + m;
  // A merge's id exceeds its children's, so walking ids downwards meets parents first.
  std::vector<int> root(2 * n - 1);
  for (int v = 2 * n - 2; v >= 0; --v) root[v] = parent[v] == v ? v : root[parent[v]];
  std::vector<int> label_of_root(2 * n - 1, -1);
  std::vector<int> labels(n);
  int next = 0;
  for (int i = 0; i < n; ++i) {
    if (label_of_root[root[i]] < 0) label_of_root[root[i]] = next++;
    labels[i] = label_of_root[root[i]];
  }
  return labels;
}

}  // namespace attn::analysis
