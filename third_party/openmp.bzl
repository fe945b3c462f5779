"""Compile options of the files that call at::parallel_for."""

# ATen/Parallel-inl.h runs at::parallel_for's work inline, on one thread, unless the file that
# calls it is compiled with OpenMP (it tests _OPENMP); Debian's LibTorch is built with it.
# Eigen stays serial in those files, as everywhere else (its own OpenMP path would make the
# same template differ between files). Such a library also depends on //third_party:openmp.
PARALLEL_FOR_COPTS = ["-fopenmp", "-DEIGEN_DONT_PARALLELIZE"]
