#!/usr/bin/env bash
# Throughput of tools/tokenize on a 100,000,000-byte input (the testdata corpus repeated),
# made in ${TMPDIR:-/tmp} and removed afterwards. Prints MB/s (10^6 bytes of input per
# second) by wall and by CPU time, and peak memory, for each mode. Peak RSS of the split
# modes counts the mapped input's pages (page cache, not a copy).
#   bazel run //bench:tokenize_throughput
set -euo pipefail
tool="$(dirname "$0")/../tools/tokenize"
[ -x "$tool" ] || tool="${RUNFILES_DIR:-$0.runfiles}/attn/tools/tokenize"
corpus="$(dirname "$0")/../testdata/corpus.xml"
[ -f "$corpus" ] || corpus="${RUNFILES_DIR:-$0.runfiles}/attn/testdata/corpus.xml"

work="$(mktemp -d "${TMPDIR:-/tmp}/tokenize_bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
bytes=100000000
python3 - "$corpus" "$work/input" "$bytes" <<'PY'
import sys
src, dst, n = open(sys.argv[1], "rb").read(), sys.argv[2], int(sys.argv[3])
with open(dst, "wb") as f:
    f.write((src * (n // len(src) + 1))[:n])
PY
sync

# run LABEL COMMAND...: the best of 3 runs by wall time, as MB/s of input, with the CPU
# time (user + sys) of that run, which a busy shared machine disturbs less, and peak memory.
run() {
  local label=$1
  shift
  rm -f "$work/times"
  for i in 1 2 3; do
    /usr/bin/time -f "%e %U %S %M" -a -o "$work/times" "$@"
  done
  python3 - "$label" "$work/times" <<'PY'
import sys
runs = [list(map(float, l.split())) for l in open(sys.argv[2]) if l.strip()]
wall, user, sys_, rss = min(runs)
print(f"{sys.argv[1]:<36} {wall:5.2f} s {1e8 / wall / 1e6:7.1f} MB/s   cpu {user + sys_:5.2f} s"
      f" {1e8 / max(user + sys_, 0.01) / 1e6:7.1f} MB/s   peak RSS {rss / 1024:6.1f} MiB")
PY
}

echo "tokenize on $bytes bytes ($(nproc) cores, $(uname -m))"
run "split 90/5/5 to .u8 files" "$tool" --input="$work/input" --output_prefix="$work/s" 2>/dev/null
run "--stats (3 splits + all)" sh -c "\"$tool\" --input=\"$work/input\" --stats >/dev/null"
run "split + --stats" sh -c "\"$tool\" --input=\"$work/input\" --output_prefix=\"$work/s\" --stats >/dev/null 2>&1"
run "stream --format=u8 (stdin->stdout)" sh -c "\"$tool\" --format=u8 <\"$work/input\" >/dev/null"
run "stream --format=ids (to a file)" sh -c "\"$tool\" --format=ids <\"$work/input\" >\"$work/input.ids\""
run "stream --decode --format=ids" sh -c "\"$tool\" --decode --format=ids <\"$work/input.ids\" >/dev/null"
