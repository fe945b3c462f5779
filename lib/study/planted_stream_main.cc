// Test helper: writes a planted dense model's attention stream and the clusters CSV that groups
// its heads by structure, for the derive_patterns tool's tests.
//   planted_stream STREAM CSV SEQ_LEN [nan]
// 2 layers x 4 heads (clusters 0 1 2 0 | 2 0 2 0), 3 sequences; clusters 0 (window 3), 1 (window 2 + stride 8) and
// 2 (anchors 0, .5, 1); odd heads get 5% uniform noise. "nan" puts a NaN in the last record.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "lib/io/atomic_file.h"
#include "lib/io/npy.h"
#include "lib/study/planted_attention.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: planted_stream STREAM CSV SEQ_LEN [nan]\n");
    return 2;
  }
  const int64_t n = std::atoll(argv[3]);
  const bool nan = argc > 4 && std::string(argv[4]) == "nan";
  const std::vector<attn::model::AttentionPattern> truth = {
      {3, 0, {}}, {2, 8, {}}, {std::nullopt, 0, {0.0, 0.5, 1.0}}};
  const std::vector<std::vector<int>> label = {{0, 1, 2, 0}, {2, 0, 2, 0}};
  const int64_t layers = 2, heads = 4, sequences = 3;
  absl::StatusOr<attn::io::AtomicFile> out = attn::io::AtomicFile::Open(argv[1]);
  if (!out.ok()) return 1;
  std::string csv = "layer,head,entropy,sparsity,distance,cluster\n";
  for (int64_t s = 0; s < sequences; ++s) {
    std::vector<float> record;
    for (int64_t l = 0; l < layers; ++l) {
      for (int64_t h = 0; h < heads; ++h) {
        const std::vector<float> a =
            attn::study::PlantedAttention(truth[label[l][h]], n, h % 2 ? 0.05 : 0.0, 100 * s + 10 * l + h);
        record.insert(record.end(), a.begin(), a.end());
        if (s == 0) csv += std::to_string(l) + "," + std::to_string(h) + ",1,0.5,2," + std::to_string(label[l][h]) + "\n";
      }
    }
    if (nan && s == sequences - 1) record[record.size() - 1] = std::nanf("");
    if (!attn::io::WriteNpyRecord(*out, record.data(), {layers, heads, n, n}).ok()) return 1;
  }
  if (!out->Commit().ok() || !attn::io::WriteFileAtomically(argv[2], csv).ok()) return 1;
  return 0;
}
