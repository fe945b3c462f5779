#!/usr/bin/env bash
# head_metrics against its peer, the Python original's per-matrix numpy loop
# (bench/head_metrics_numpy.py), on one attention stream in the page cache, alternating the
# two RUNS times in one invocation. Prints each run, then the medians as MB/s of stream by
# wall and by CPU time (user + sys, steadier on a busy machine), the ratio, and how far the
# peer's float32 numbers are from ours.
#   bazel run -c opt //bench:head_metrics_vs_numpy -- [RECORDS=2] [RUNS=5] [THREADS=all]
# The stream is RECORDS x [12, 8, 1024, 1024] float32 (805 MB at 2), made in ${TMPDIR:-/tmp}.
set -euo pipefail
records=${1:-2}
runs=${2:-5}
threads=${3:-0}
here="$(dirname "$0")"
tool="$here/../tools/head_metrics"
[ -x "$tool" ] || tool="${RUNFILES_DIR:-$0.runfiles}/attn/tools/head_metrics"
peer="$here/head_metrics_numpy.py"
[ -f "$peer" ] || peer="${RUNFILES_DIR:-$0.runfiles}/attn/bench/head_metrics_numpy.py"
python=/usr/bin/python3  # Debian's, with python3-numpy

work="$(mktemp -d "${TMPDIR:-/tmp}/head_metrics_bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "generating $records x [12, 8, 1024, 1024] float32 attention in $work" >&2
"$python" "$peer" generate "$work/attn.npy" "$records" 12 8 1024
bytes=$(stat -c %s "$work/attn.npy")
cat "$work/attn.npy" > /dev/null  # into the page cache

for run in $(seq "$runs"); do
  /usr/bin/time -f "ours %e %U %S" -a -o "$work/times" \
    "$tool" --input="$work/attn.npy" --output="$work/ours.csv" --threads="$threads" 2> /dev/null
  /usr/bin/time -f "numpy %e %U %S" -a -o "$work/times" \
    "$python" "$peer" measure "$work/attn.npy" "$work/numpy.csv"
  tail -2 "$work/times" | sed "s/^/run $run: /" >&2
done
"$python" - "$bytes" "$work/times" "$work/ours.csv" "$work/numpy.csv" <<'PY'
import csv, statistics, sys
bytes_, times = int(sys.argv[1]), {}
for line in open(sys.argv[2]):
    who, wall, user, sys_ = line.split()
    times.setdefault(who, []).append((float(wall), float(user) + float(sys_)))
rate = {}
for who in ("ours", "numpy"):
    wall = statistics.median(w for w, _ in times[who])
    cpu = statistics.median(c for _, c in times[who])
    rate[who] = (bytes_ / wall / 1e6, bytes_ / cpu / 1e6)
    print(f"{who:<6} median of {len(times[who])}: wall {wall:6.2f} s = {rate[who][0]:7.1f} MB/s,"
          f"  cpu {cpu:6.2f} s = {rate[who][1]:7.1f} MB per cpu s")
print(f"ratio ours / numpy: {rate['ours'][0] / rate['numpy'][0]:.1f}x by wall, "
      f"{rate['ours'][1] / rate['numpy'][1]:.1f}x by cpu")
ours = list(csv.DictReader(open(sys.argv[3])))
peer = list(csv.DictReader(open(sys.argv[4])))
worst = max(abs(float(a[k]) - float(b[k])) / max(abs(float(a[k])), 1e-300)
            for a, b in zip(ours, peer) for k in ("entropy", "sparsity", "distance"))
print(f"largest relative difference of the peer's float32 metrics from ours: {worst:.1e}")
PY
