#include "lib/analysis/kmeans_command.h"

#include <cstdio>

#include "lib/analysis/cluster_input.h"
#include "lib/analysis/kmeans.h"
#include "lib/analysis/outputs.h"

namespace attn::analysis {

absl::Status RunKMeans(const KMeansOptions& options) {
  KMeansParams params;
  params.k = options.k;
  params.n_init = options.n_init;
  params.max_iter = options.max_iter;
  params.tol = options.tol;
  params.seed = options.seed;
  // Bad values are usage errors, found before the input is read.
  if (absl::Status s = CheckKMeansParams(params); !s.ok()) return s;
  absl::StatusOr<ClusterInput> in =
      LoadClusterInput(options.input, options.features, options.standardize, "euclidean");
  if (!in.ok()) return in.status();
  if (absl::Status s = CheckNoClusterColumn(in->table); !s.ok()) return s;
  absl::StatusOr<Outputs> outputs =
      Outputs::Open({{"output", options.output}, {"centroids", options.centroids}});
  if (!outputs.ok()) return outputs.status();
  absl::StatusOr<KMeansResult> r = KMeans(in->x, params);
  if (!r.ok()) return NameInput(in->table, r.status());
  const Points centroids =
      in->standardized ? in->scaler.InverseTransform(r->centroids) : r->centroids;
  if (absl::Status s = outputs->Commit({WithClusterColumn(in->table, r->labels),
                                        outputs->wanted(1) ? CentroidText(in->names, centroids) : ""});
      !s.ok()) {
    return s;
  }
  // After the outputs are committed, so that a failed run's only line is its error.
  std::fprintf(stderr, "kmeans: k=%d inertia %s iterations %d (best of %d restarts, seed %llu)\n",
               options.k, io::FormatDouble(r->inertia).c_str(), r->iterations, options.n_init,
               static_cast<unsigned long long>(options.seed));
  return absl::OkStatus();
}

}  // namespace attn::analysis
