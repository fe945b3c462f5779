#include "tools/clustering_flags.h"

DEFINE_string(input, "-", "CSV with a header row; '-' is stdin");
DEFINE_string(features, "", "comma-separated numeric columns ('prefix*' names every column "
                            "starting with prefix); default entropy,sparsity,distance, or d* "
                            "(the profile columns) with --distance=js");
DEFINE_bool(standardize, true, "z-score each feature (population std, as StandardScaler); "
                               "euclidean only: js compares the rows as distributions");
DEFINE_string(distance, "euclidean", "euclidean, or js: the Jensen-Shannon distance "
                                     "sqrt(JS), base 2, between rows taken as distributions "
                                     "(head_metrics --profiles)");
