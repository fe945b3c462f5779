#!/usr/bin/env bash
# Installs every Debian package the project needs, or the packages named as arguments
# (make fuzz adds clang that way). Idempotent; silent when all are present. Otherwise one
# line per step on stderr; apt-get's own output is kept back and only its last lines are
# shown when it fails (then the exit status is non-zero).
#   scripts/setup.sh [PACKAGE...]
set -euo pipefail

PACKAGES=(
  bazel-bootstrap bazel-rules-java bazel-platforms
  g++ make python3 python3-numpy zip unzip
  libtorch-dev libopenblas0-pthread
  libabsl-dev libgflags-dev libgoogle-glog-dev libeigen3-dev
  libgtest-dev libgmock-dev
  libgloo-dev
  libcurl4-openssl-dev libzip-dev nlohmann-json3-dev nettle-dev
  gnuplot-nox
  python3-torch
)
[ $# -gt 0 ] && PACKAGES=("$@")

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp "${TMPDIR:-/tmp}/setup.XXXXXX")
trap 'rm -f "$log"' EXIT

# Runs one step with its output in $log; on failure shows the end of it and stops.
step() {
  local what=$1
  shift
  echo "setup: $what" >&2
  if ! "$@" >"$log" 2>&1; then
    echo "setup: failed while $what; the package manager's last lines:" >&2
    tail -n 20 "$log" | sed 's/^/  /' >&2
    exit 1
  fi
}

step "updating package lists" $SUDO apt-get update -q
step "installing ${#missing[@]} packages: ${missing[*]}" \
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: done" >&2
