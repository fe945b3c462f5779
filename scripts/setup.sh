#!/usr/bin/env bash
# Installs every Debian package the project needs. Idempotent; silent when all are present.
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

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
