#!/bin/sh
# Bazel's --workspace_status_command (.bazelrc): the commit the binaries are built from,
# for --version. Stable keys: a new commit regenerates one small header and relinks.
commit=$(git rev-parse --short=12 HEAD 2>/dev/null) || commit=unknown
tree=""
if [ "$commit" != unknown ] && ! git diff --quiet HEAD -- 2>/dev/null; then
  tree="with local changes"
fi
echo "STABLE_GIT_COMMIT $commit"
echo "STABLE_GIT_TREE $tree"
