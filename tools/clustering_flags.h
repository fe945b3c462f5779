// The flags silhouette and ward share: which columns are the points, and how they are compared.
#ifndef ATTN_TOOLS_CLUSTERING_FLAGS_H_
#define ATTN_TOOLS_CLUSTERING_FLAGS_H_

#include "gflags/gflags.h"

DECLARE_string(input);
DECLARE_string(features);
DECLARE_bool(standardize);
DECLARE_string(distance);

#endif  // ATTN_TOOLS_CLUSTERING_FLAGS_H_
