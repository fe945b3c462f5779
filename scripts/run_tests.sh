#!/usr/bin/env bash
# Builds and runs every test, then prints 'N passed, N failed' counted from the test cases.
set -uo pipefail
cd "$(dirname "$0")/.."
bazel test //... "$@"
status=$?
targets=$(bazel query 'tests(//...)' 2>/dev/null)
python3 scripts/test_summary.py "$(bazel info bazel-testlogs 2>/dev/null)" $targets
summary=$?
[ $status -eq 0 ] && [ $summary -eq 0 ]
