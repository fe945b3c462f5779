// derive_patterns: one attention pattern per cluster of a dense model's heads, and a pattern
// file that shares a sparse model's heads among them (docs/design.md, "The study").
//   derive_patterns --attention=dense.npy --clusters=clusters.csv --heads=8 --output=patterns.json
#include "gflags/gflags.h"
#include "lib/runtime/tool.h"
#include "lib/study/derive_patterns_command.h"
#include "tools/tool_main.h"

DEFINE_string(attention, "-", "the clustered model's attention stream (dump_attention); '-' is stdin");
DEFINE_string(clusters, "", "its clusters CSV: layer,head,...,cluster (kmeans or ward output)");
DEFINE_int64(heads, 0, "heads per layer of the sparse model (required)");
DEFINE_string(output, "-", "the pattern file (JSON, with the report under \"derived\"); '-' is stdout");
DEFINE_double(coverage, 0.9, "share of each cluster's mean attention mass its pattern must hold, in (0, 1]");
DEFINE_bool(per_layer, false, "share the heads layer by layer, by each layer's clusters");
DEFINE_int64(layers, 0, "layers of the sparse model; 0: the attention stream's");

int main(int argc, char** argv) {
  attn::tools::InitMain(&argc, &argv,
                        "derive_patterns --attention=dense.npy --clusters=clusters.csv --heads=8 "
                        "--output=patterns.json [--coverage=0.9] [--per_layer] [--layers=N]\n"
                        "Fits one sparse attention pattern to each cluster's mean attention; writes a pattern file.\n"
                        "Example: derive_patterns --attention=dense.npy --clusters=clusters.csv --heads=8 "
                        "--output=patterns.json");
  attn::study::DerivePatternsOptions o;
  o.attention = attn::runtime::ResolvePath(FLAGS_attention);
  o.clusters = attn::runtime::ResolvePath(FLAGS_clusters);
  o.heads = FLAGS_heads;
  o.output = attn::runtime::ResolvePath(FLAGS_output);
  o.coverage = FLAGS_coverage;
  o.per_layer = FLAGS_per_layer;
  o.layers = FLAGS_layers;
  o.threads = attn::runtime::Threads();
  return attn::runtime::RunCommand([&] { return attn::study::RunDerivePatterns(o); });
}
