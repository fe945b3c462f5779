#!/usr/bin/env bash
# generate's time for 0 (start-up), 200 and 2000 bytes against an older build of the tool,
# the two alternating, median of RUNS, with --threads=1 and with the default threads. Prints
# wall and user seconds, then the two ratios of the generation target: new 2000 / new 200 and
# new / old bytes/s at 2000 (each also with the start-up, the 0-byte run, subtracted).
#   git worktree add /tmp/old COMMIT && (cd /tmp/old && bazel build -c opt //tools:generate)
#   bazel run -c opt //bench:generate -- /tmp/old/bazel-bin/tools/generate CHECKPOINT [RUNS=3]
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: generate.sh OLD_GENERATE CHECKPOINT [RUNS=3]" >&2; exit 2; }
old=$1 checkpoint=$2 runs=${3:-3}
new="${RUNFILES_DIR:-$0.runfiles}/attn/tools/generate"
[ -x "$new" ] || new="$(dirname "$0")/../tools/generate"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for threads in 1 default; do
  flag=()
  [ "$threads" = default ] || flag=(--threads="$threads")
  : >"$work/times"
  for run in $(seq "$runs"); do
    for bytes in 0 200 2000; do
      for tool in old new; do
        bin=$old
        [ "$tool" = new ] && bin=$new
        /usr/bin/time -f "$tool $bytes %e %U" -a -o "$work/times" "$bin" --checkpoint="$checkpoint" \
          --prompt="The " --seed=7 --max_bytes="$bytes" "${flag[@]}" >/dev/null 2>"$work/err" ||
          { echo "$tool --max_bytes=$bytes failed: $(tail -1 "$work/err")" >&2; exit 1; }
      done
    done
  done
  python3 - "$threads" "$work/times" <<'PY'
import collections, statistics, sys
t = collections.defaultdict(list)
for line in open(sys.argv[2]):
    tool, n, wall, user = line.split()
    t[tool, int(n)].append((float(wall), float(user)))
med = {k: [statistics.median(x[i] for x in v) for i in (0, 1)] for k, v in t.items()}
print(f"threads {sys.argv[1]}: median of {len(t['old', 0])}, seconds wall / user")
print("| max_bytes | old | new |\n|---|---|---|")
for n in (0, 200, 2000):
    print(f"| {n} | {med['old', n][0]:.2f} / {med['old', n][1]:.2f} | {med['new', n][0]:.2f} / {med['new', n][1]:.2f} |")
for i, what in ((0, "wall"), (1, "user")):
    o = {n: med["old", n][i] for n in (0, 200, 2000)}
    w = {n: med["new", n][i] for n in (0, 200, 2000)}
    gen = lambda d, n: max(d[n] - d[0], 1e-3)
    print(f"{what}: new 2000 / new 200 = {w[2000] / w[200]:.1f}x ({gen(w, 2000) / gen(w, 200):.1f}x without start-up);"
          f" new / old bytes/s at 2000 = {o[2000] / w[2000]:.1f}x ({gen(o, 2000) / gen(w, 2000):.1f}x without start-up)")
PY
done
