#include "tools/device_flag.h"

#include "gflags/gflags.h"

DEFINE_string(device, "cpu", "cpu or cuda (a CUDA build of LibTorch: bazel --config=cuda, docs/design.md)");
