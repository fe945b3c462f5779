#!/usr/bin/env bash
# Whole-tool tests of head_metrics, kmeans and silhouette: outputs, exit codes, one-line
# errors and no half-written files.
set -uo pipefail
T="${TEST_SRCDIR}/attn"
HM="$T/tools/head_metrics"; KM="$T/tools/kmeans"; SIL="$T/tools/silhouette"
ATT="$T/testdata/analysis/attention_1x2x3.npy"
SEED="$T/testdata/analysis/seed_head_metrics.csv"
W="${TEST_TMPDIR}"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect_error CODE MESSAGE_SUBSTRING OUTPUT_FILE -- command...: exit code, exactly one
# stderr line containing the message, and no output file left behind.
expect_error() {
  local code="$1" message="$2" out="$3"; shift 4
  rm -f "$out"
  "$@" 2> "$W/err" > /dev/null
  local rc=$?
  [ "$rc" -eq "$code" ] || fail "$*: exit $rc, expected $code"
  [ "$(wc -l < "$W/err")" -eq 1 ] || fail "$*: stderr is not one line: $(cat "$W/err")"
  grep -qF -- "$message" "$W/err" || fail "$*: stderr lacks '$message': $(cat "$W/err")"
  [ -z "$out" ] || ! ls "$out"* > /dev/null 2>&1 || fail "$*: left $out behind"
}

# near A B: |A - B| <= 1e-6
near() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; exit !(d <= 1e-6 && d >= -1e-6) }'; }

# head_metrics on the closed-form fixture: head 0 averages uniform causal (entropy
# ln(6)/3, sparsity 1/3, distance 1/2) and one-hot column 0 (0, 2/3, 1); head 1 is the diagonal.
"$HM" --threads=2 < "$ATT" > "$W/hm.csv" 2> "$W/err" || fail "head_metrics: $(cat "$W/err")"
[ "$(head -1 "$W/hm.csv")" = "layer,head,entropy,sparsity,distance" ] || fail "header: $(head -1 "$W/hm.csv")"
IFS=, read -r l h e s d < <(sed -n 2p "$W/hm.csv")
[ "$l,$h" = "0,0" ] || fail "row 1 is $l,$h"
near "$e" "$(awk 'BEGIN { print log(6) / 6 }')" || fail "head 0 entropy $e"
near "$s" 0.5 || fail "head 0 sparsity $s"
near "$d" 0.75 || fail "head 0 distance $d"
IFS=, read -r l h e s d < <(sed -n 3p "$W/hm.csv")
near "$e" 0 && near "$s" "$(awk 'BEGIN { print 2 / 3 }')" && near "$d" 0 || fail "head 1: $e $s $d"
[ "$(wc -l < "$W/hm.csv")" -eq 3 ] || fail "head_metrics wrote $(wc -l < "$W/hm.csv") lines"
"$HM" --input="$ATT" --output="$W/hm2.csv" --threads=1 2> /dev/null && cmp -s "$W/hm.csv" "$W/hm2.csv" ||
  fail "--input/--output or --threads=1 differ"

# head_metrics bad input.
head -c 350 "$ATT" > "$W/truncated.npy"
expect_error 1 "record 1: truncated data" "$W/o.csv" -- "$HM" --input="$W/truncated.npy" --output="$W/o.csv"
expect_error 1 "not an .npy record" "$W/o.csv" -- "$HM" --input="$SEED" --output="$W/o.csv"
expect_error 1 "dtype '<f8' is not little-endian float32" "$W/o.csv" -- \
  "$HM" --input="$T/testdata/npy/f8.npy" --output="$W/o.csv"
expect_error 1 "expected [layers, heads, L, L]" "$W/o.csv" -- \
  "$HM" --input="$T/testdata/npy/v2.npy" --output="$W/o.csv"
expect_error 1 "records must all have the same shape" "$W/o.csv" -- \
  "$HM" --input=<(cat "$ATT" "$T/testdata/npy/two_records.npy") --output="$W/o.csv"
expect_error 1 "no records" "$W/o.csv" -- "$HM" --input=/dev/null --output="$W/o.csv"
expect_error 1 "cannot open" "$W/o.csv" -- "$HM" --input="$W/missing.npy" --output="$W/o.csv"
expect_error 2 "threshold = 0 must be a positive number" "" -- "$HM" --threshold=0 --input="$ATT"

# kmeans: the seed metrics at k = 4 reach scikit-learn's best inertia; rows keep their text.
"$KM" --k=4 --centroids="$W/centroids.csv" < "$SEED" > "$W/clusters.csv" 2> "$W/err" || fail "kmeans: $(cat "$W/err")"
grep -q "^kmeans: k=4 inertia 47.94211807" "$W/err" || fail "kmeans stderr: $(cat "$W/err")"
[ "$(head -1 "$W/clusters.csv")" = "layer,head,entropy,sparsity,distance,cluster" ] || fail "clusters header"
[ "$(cut -d, -f1-5 "$W/clusters.csv")" = "$(cat "$SEED")" ] || fail "kmeans changed the input rows"
[ "$(cut -d, -f6 "$W/clusters.csv" | tail -n +2 | sort -u | tr '\n' ' ')" = "0 1 2 3 " ] || fail "labels"
[ "$(head -1 "$W/centroids.csv")" = "cluster,entropy,sparsity,distance" ] || fail "centroids header"
[ "$(wc -l < "$W/centroids.csv")" -eq 5 ] || fail "centroids rows"
"$KM" --k=4 --seed=0 < "$SEED" 2> /dev/null | cmp -s - "$W/clusters.csv" || fail "kmeans not deterministic"
expect_error 2 "no column 'foo'" "$W/o.csv" -- "$KM" --features=entropy,foo --input="$SEED" --output="$W/o.csv"
expect_error 1 "seed_head_metrics.csv: k-means with k=97 needs at least 97 rows" "$W/o.csv" -- "$KM" --k=97 --input="$SEED" --output="$W/o.csv"
expect_error 2 "--k=0 must be >= 1" "$W/o.csv" -- "$KM" --k=0 --input="$SEED" --output="$W/o.csv"
printf 'entropy,sparsity,distance\n1,2,x\n' > "$W/bad.csv"
expect_error 1 "line 2, column 'distance': 'x' is not a finite number" "$W/o.csv" -- \
  "$KM" --k=1 --input="$W/bad.csv" --output="$W/o.csv"
expect_error 2 "unknown command line flag" "" -- "$KM" --bogus
# A constant feature: a warning line, then clustering on the others.
printf 'a,b\n1,5\n2,5\n10,5\n11,5\n' > "$W/const.csv"
"$KM" --k=2 --features=a,b < "$W/const.csv" > "$W/o.csv" 2> "$W/err" || fail "kmeans constant: $(cat "$W/err")"
grep -q "feature 'b' is constant" "$W/err" || fail "no constant-feature warning: $(cat "$W/err")"
[ "$(cut -d, -f3 "$W/o.csv" | tr '\n' ' ')" = "cluster 0 0 1 1 " ] || fail "constant: $(cat "$W/o.csv")"

# silhouette of the kmeans clustering (scikit-learn: 0.5862007530), and per-sample values.
mean=$("$SIL" --per_sample="$W/ps.csv" < "$W/clusters.csv" 2> "$W/err") || fail "silhouette: $(cat "$W/err")"
near "$mean" 0.5862007530 || fail "silhouette mean $mean"
[ "$(head -1 "$W/ps.csv")" = "layer,head,entropy,sparsity,distance,cluster,silhouette" ] || fail "per_sample header"
[ "$(wc -l < "$W/ps.csv")" -eq 97 ] || fail "per_sample rows"
expect_error 2 "no 'cluster' column" "" -- "$SIL" --input="$SEED"
printf 'entropy,sparsity,distance,cluster\n1,2,3,0\n2,3,4,0\n' > "$W/one.csv"
expect_error 1 "one.csv: silhouette needs 2 to n - 1 = 1 clusters; the labels form 1" "" -- \
  "$SIL" --input="$W/one.csv"

# The Ward sweep on the seed metrics: the issue's k = 2, 3, 4 values to 4 decimals.
"$SIL" --k_min=2 --k_max=8 --algorithm=ward < "$SEED" > "$W/sweep.tsv" 2> /dev/null || fail "sweep"
[ "$(head -1 "$W/sweep.tsv")" = "$(printf 'k\tsilhouette')" ] || fail "sweep header"
[ "$(awk -F'\t' 'NR > 1 && NR <= 4 { printf "%d:%.4f ", $1, $2 }' "$W/sweep.tsv")" = \
  "2:0.4811 3:0.4627 4:0.5382 " ] || fail "sweep values: $(cat "$W/sweep.tsv")"
[ "$(wc -l < "$W/sweep.tsv")" -eq 8 ] || fail "sweep rows"
"$SIL" --k_max=5 --algorithm=kmeans < "$SEED" > "$W/km.tsv" 2> /dev/null || fail "kmeans sweep"
[ "$(wc -l < "$W/km.tsv")" -eq 5 ] || fail "kmeans sweep rows"
expect_error 2 "is not one of ward, kmeans" "$W/o.tsv" -- "$SIL" --k_max=3 --algorithm=x --input="$SEED" --output="$W/o.tsv"
expect_error 2 "need 2 <= k_min <= k_max" "$W/o.tsv" -- "$SIL" --k_min=1 --k_max=3 --input="$SEED" --output="$W/o.tsv"

[ "$failures" -eq 0 ] && echo "all passed"
exit "$failures"
