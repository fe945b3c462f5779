#!/usr/bin/env bash
# Hostile inputs through every tool (issue 15, and docs/design.md, "Conventions for every
# tool"): for each row of the table below, a bad flag, a missing, empty, truncated or garbage
# input, an input whose header or metadata lies, NaN and infinite flags, an unwritable output.
# Each must end with the row's exit code (1 or 2), exactly one line on stderr, no signal, no
# hang, and nothing left behind: the run's folder (its outputs go there, and it is the
# current folder) stays empty and no *.tmp.* file appears anywhere. Then a closed pipe
# downstream of every tool that writes to stdout: a quiet exit 0, promptly.
#   hostile_inputs_test.sh [BIN_DIR]   (default: the tools beside this script's runfiles)
set -uo pipefail
bin="${1:-$(dirname "$0")}"
[ -x "$bin/describe" ] || bin="${RUNFILES_DIR:-$0.runfiles}/attn/tools"
bin=$(cd "$bin" && pwd)
source "${TEST_SRCDIR:-$(dirname "$0")/..}/attn/tools/test_lib.sh" 2>/dev/null || source "$(dirname "$0")/test_lib.sh"
trap 'rm -rf "$W"' EXIT
D=$W/in   # inputs, never written by a case
O=$W/run  # each case's output folder and current folder, emptied before it
mkdir -p "$D" "$O"
export OMP_NUM_THREADS=1

# --- Inputs: tiny, made once. ---
words_corpus "$D/tokens.u8" 4000 1
cut_half() { head -c $(($(wc -c < "$1") / 2)) "$1" > "$2"; }
: > "$D/empty"
head -c 3000 /dev/urandom > "$D/garbage"
tiny=(--train="$D/tokens.u8" --valid="$D/tokens.u8" --d_model=8 --heads=2 --layers=1 --ff=8 --seq_len=8
      --batch_size=2 --max_steps=2 --eval_batches=1 --threads=1)
(cd "$W" && "$bin/train_dense" "${tiny[@]}" --output="$D/dense.safetensors" 2>/dev/null) || fail "train_dense made no checkpoint"
(cd "$W" && "$bin/train_sparse" "${tiny[@]}" --output="$D/sparse.safetensors" 2>/dev/null) || fail "train_sparse made no checkpoint"
rm -f "$D"/*.state "$D"/*.log.tsv
cut_half "$D/dense.safetensors" "$D/truncated.safetensors"
"$bin/dump_attention" --checkpoint="$D/dense.safetensors" --tokens="$D/tokens.u8" --num_seqs=3 --seq_len=8 \
  --threads=1 > "$D/attention.npy" 2>/dev/null || fail "dump_attention made no stream"
cut_half "$D/attention.npy" "$D/truncated.npy"
# Metrics of 8 heads (the tiny model's have a constant column, which draws a warning), their
# clusters, and clusters of the tiny model's own 2 heads for derive_patterns.
printf 'layer,head,entropy,sparsity,distance\n0,0,1.5,0.1,2\n0,1,0.2,0.8,1\n0,2,1.4,0.2,2.5\n0,3,0.3,0.7,1.2\n' > "$D/metrics.csv"
printf '1,0,1.6,0.15,2.2\n1,1,0.25,0.9,0.8\n1,2,1.2,0.3,3\n1,3,0.1,0.75,1.1\n' >> "$D/metrics.csv"
"$bin/kmeans" --input="$D/metrics.csv" --k=2 --n_init=1 > "$D/clusters.csv" 2>/dev/null || fail "kmeans made no clusters"
printf 'layer,head,cluster\n0,0,0\n0,1,1\n' > "$D/head_clusters.csv"
head -c 10 "$D/metrics.csv" > "$D/truncated.csv"
printf 'a,b\n1,2,3\n"x\n' > "$D/ragged.csv"
for f in tokens.u8 dense.safetensors attention.npy clusters.csv; do [ -s "$D/$f" ] || fail "no input $f"; done

# Checkpoints whose metadata or weights lie (issue 15.3, 15.4): the test's dense checkpoint
# with one metadata value replaced, or its first norm weight NaN.
patched() {  # patched NAME KEY VALUE | patched NAME nan
  python3 - "$D/dense.safetensors" "$D/$1.safetensors" "$2" "${3:-}" <<'PY'
import json, struct, sys
src, dst, key, value = sys.argv[1:]
b = open(src, 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
header, data = json.loads(b[8:8 + n]), bytearray(b[8 + n:])
if key == 'nan':
    start = header['norm.weight']['data_offsets'][0]
    data[start:start + 4] = struct.pack('<f', float('nan'))
else:
    header['__metadata__'][key] = value
h = json.dumps(header).encode()
h += b' ' * (-len(h) % 8)
open(dst, 'wb').write(struct.pack('<Q', len(h)) + h + bytes(data))
PY
}
patched huge_d_model d_model 4000000
patched huge_max_len max_len 4000000000
patched huge_layers layers 100000000
patched bad_seq_len seq_len abc
patched overflow_seq_len seq_len 99999999999999999999
patched nan_weight nan
# 192-byte .npy records whose header claims far more than the 64 bytes that follow (15.2).
npy_claiming() {
  python3 - "$D/$1.npy" "$2" <<'PY'
import sys
path, shape = sys.argv[1], sys.argv[2]
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % shape
header += ' ' * (127 - 10 - len(header)) + '\n'
open(path, 'wb').write(b'\x93NUMPY\x01\x00' + len(header).to_bytes(2, 'little') + header.encode() + bytes(64))
PY
}
npy_claiming claims_1e11 "100000000000, 1, 1, 1"
npy_claiming claims_2pow31 "1, 2147483648, 1, 1"
npy_claiming claims_20000sq "1, 1, 20000, 20000"
# A torch.save zip of a tiny original dense model: the pt fuzz seed without its options byte.
pt_seed="${TEST_SRCDIR:-}/attn/fuzz/corpus/pt/dense_dict_zip"
[ -f "$pt_seed" ] || pt_seed="$(dirname "$0")/../fuzz/corpus/pt/dense_dict_zip"
tail -c +2 "$pt_seed" > "$D/dense.pt"
cut_half "$D/dense.pt" "$D/truncated.pt"
mkdir -p "$D/folder"
U=$D/tokens.u8/sub  # unwritable: its parent is a regular file

# --- One case: `check CODE TOOL ARGS...` (the tool from $bin, run in the empty $O). ---
cases=0
check() {
  local code=$1 tool=$2; shift 2
  cases=$((cases + 1))
  rm -rf "$O"; mkdir -p "$O"
  (cd "$O" && timeout -s KILL 120 "$bin/$tool" --threads=1 "$@" < /dev/null > "$W/stdout" 2> "$W/stderr")
  local rc=$? what="$tool $*"
  if [ "$rc" -ge 128 ]; then
    fail "$what: killed by signal $((rc - 128))$([ "$rc" -eq 137 ] && echo ' (hung?)'): $(head -c 300 "$W/stderr")"
  elif [ "$rc" -ne "$code" ]; then
    fail "$what: exit $rc, expected $code: $(head -c 300 "$W/stderr")"
  fi
  [ "$(wc -l < "$W/stderr")" -eq 1 ] || fail "$what: stderr has $(wc -l < "$W/stderr") lines: $(head -c 300 "$W/stderr")"
  local left
  left=$(find "$O" -mindepth 1 | head -3)
  [ -z "$left" ] || fail "$what: left $left"
  left=$(find "$W" "$D" -name '*.tmp.*' | head -3)
  [ -z "$left" ] || { fail "$what: left $left"; find "$W" -name '*.tmp.*' -delete; }
}

C=--checkpoint=$D/dense.safetensors
T=--tokens=$D/tokens.u8
# Every checkpoint reader gets each bad checkpoint.
bad_checkpoints=(missing empty garbage truncated.safetensors huge_d_model huge_max_len huge_layers bad_seq_len
                 overflow_seq_len nan_weight)
checkpoint_path() {
  case $1 in
    missing) echo "$D/none.safetensors" ;;
    empty|garbage|truncated.safetensors) echo "$D/$1" ;;
    *) echo "$D/$1.safetensors" ;;
  esac
}
for ck in "${bad_checkpoints[@]}"; do
  p=$(checkpoint_path "$ck")
  check 1 dump_attention --checkpoint="$p" "$T" --num_seqs=1 --seq_len=8 --output="$O/a.npy"
  check 1 generate --checkpoint="$p" --prompt=the --max_bytes=4
  check 1 head_importance --checkpoint="$p" "$T" --seq_len=8 --batches=1 --batch_size=1 --output="$O/h.csv"
  case $ck in huge_max_len|huge_layers|overflow_seq_len) continue ;; esac  # the same checks as their neighbours
  check 1 evaluate --checkpoint="$p" "$T" --max_bytes=64 --output="$O/e.tsv"
  check 1 describe --checkpoint="$p" --output="$O/d.txt"
done
# Every reader of a file gets a missing, empty and garbage one, and a folder (any bytes are
# tokens, so garbage is not bad .u8 input; an empty file is too short for a window).
for f in none.u8 empty folder; do
  check 1 dump_attention "$C" --tokens="$D/$f" --num_seqs=1 --seq_len=8 --output="$O/a.npy"
  check 1 evaluate "$C" --tokens="$D/$f" --output="$O/e.tsv"
  check 1 generate "$C" --prompt_file="$D/$f" --max_bytes=4
  check 1 head_importance "$C" --tokens="$D/$f" --seq_len=8 --batches=1 --output="$O/h.csv"
done
# A token file too short for one batch is an option error (2), as train_tools_test has it.
for f in none.u8 folder; do
  check 1 train_dense "${tiny[@]}" --train="$D/$f" --output="$O/t.safetensors"
  check 1 train_sparse "${tiny[@]}" --valid="$D/$f" --output="$O/t.safetensors"
done
check 2 train_dense "${tiny[@]}" --train="$D/empty" --output="$O/t.safetensors"
check 2 train_sparse "${tiny[@]}" --valid="$D/empty" --output="$O/t.safetensors"
for f in none.u8 empty garbage folder; do
  check 1 head_metrics --input="$D/$f" --output="$O/m.csv"
  check 1 derive_patterns --attention="$D/$f" --clusters="$D/head_clusters.csv" --heads=2 --output="$O/p.json"
  check 1 derive_patterns --attention="$D/attention.npy" --clusters="$D/$f" --heads=2 --output="$O/p.json"
  check 1 import_checkpoint --input="$D/$f" --output="$O/i.safetensors"
  check 1 kmeans --input="$D/$f" --k=2 --output="$O/c.csv"
  check 1 silhouette --input="$D/$f" --output="$O/s.csv"
  check 1 ward --input="$D/$f" --output="$O/w.csv"
done
for f in none.u8 folder; do
  check 1 tokenize --input="$D/$f" --output_prefix="$O/t"
  check 1 enwik8_fetch --from_zip="$D/$f" --output="$O/enwik8"
done
check 1 enwik8_fetch --from_zip="$D/garbage" --output="$O/enwik8"
check 1 enwik8_fetch --from_zip="$D/empty" --output="$O/enwik8"
check 1 enwik8_fetch --url=http://127.0.0.1:9/enwik8.zip --retries=0 --timeout_s=5 --output="$O/enwik8"
check 1 head_metrics --input="$D/truncated.npy" --output="$O/m.csv"
check 1 derive_patterns --attention="$D/truncated.npy" --clusters="$D/head_clusters.csv" --heads=2 --output="$O/p.json"
for f in claims_1e11 claims_2pow31 claims_20000sq; do
  check 1 head_metrics --input="$D/$f.npy" --output="$O/m.csv"
  check 1 derive_patterns --attention="$D/$f.npy" --clusters="$D/head_clusters.csv" --heads=2 --output="$O/p.json"
done
for f in truncated.csv ragged.csv; do
  check 1 kmeans --input="$D/$f" --k=2 --output="$O/c.csv"
  check 1 silhouette --input="$D/$f" --output="$O/s.csv"
  check 1 ward --input="$D/$f" --output="$O/w.csv"
  check 1 derive_patterns --attention="$D/attention.npy" --clusters="$D/$f" --heads=2 --output="$O/p.json"
done
check 1 import_checkpoint --input="$D/truncated.pt" --output="$O/i.safetensors"
check 1 import_checkpoint --input="$D/dense.safetensors" --output="$O/i.safetensors"
check 1 head_metrics --input="$D/attention.npy" --tokens="$D/none.u8" --output="$O/m.csv"

# Windows beyond the tokens, with products that overflow int64 (15.1).
check 1 dump_attention "$C" "$T" --offset=9223372036854775800 --seq_len=8 --output="$O/a.npy"
check 1 dump_attention "$C" "$T" --num_seqs=576460752303423489 --seq_len=8 --output="$O/a.npy"
# Beyond the dense model's positional table (5000 positions).
check 1 dump_attention "$C" "$T" --num_seqs=1 --seq_len=6000 --output="$O/a.npy"
check 1 evaluate "$C" "$T" --context=6000 --output="$O/e.tsv"

# Bad flags: unknown, malformed, out of range, NaN and infinities (15.4).
for tool in enwik8_fetch tokenize train_dense train_sparse dump_attention head_metrics kmeans silhouette ward \
            generate describe derive_patterns import_checkpoint evaluate head_importance; do
  check 2 "$tool" --no_such_flag=1
done
check 2 kmeans --threads=many
check 2 generate --threads=many
for v in nan inf; do
  check 2 train_dense "${tiny[@]}" --lr="$v" --output="$O/t.safetensors"
  check 2 train_sparse "${tiny[@]}" --clip_norm="$v" --output="$O/t.safetensors"
  check 2 train_dense "${tiny[@]}" --dropout="$v" --output="$O/t.safetensors"
  check 2 train_sparse "${tiny[@]}" --embedding_std="$v" --output="$O/t.safetensors"
  check 2 generate "$C" --prompt=the --temperature="$v"
  check 2 generate "$C" --prompt=the --top_p="$v"
  check 2 kmeans --input="$D/metrics.csv" --tol="$v" --output="$O/c.csv"
  check 2 head_metrics --input="$D/attention.npy" --threshold="$v" --output="$O/m.csv"
  check 2 derive_patterns --attention="$D/attention.npy" --clusters="$D/head_clusters.csv" --heads=2 --coverage="$v" \
    --output="$O/p.json"
  check 2 enwik8_fetch --timeout_s="$v" --output="$O/enwik8"
  check 2 enwik8_fetch --retry_delay_s="$v" --output="$O/enwik8"
done
check 2 train_dense "${tiny[@]}" --min_lr=nan --output="$O/t.safetensors"
check 2 train_dense "${tiny[@]}" --weight_decay=inf --output="$O/t.safetensors"
check 2 train_dense "${tiny[@]}" --dist_timeout_s=nan --output="$O/t.safetensors"
for f in attention_dropout activation_dropout token_dropout stochastic_depth; do
  check 2 train_dense "${tiny[@]}" --"$f"=nan --output="$O/t.safetensors"
done
check 2 train_sparse "${tiny[@]}" --token_dropout=nan --output="$O/t.safetensors"
check 2 train_sparse "${tiny[@]}" --dropout=inf --output="$O/t.safetensors"
check 2 train_dense "${tiny[@]}" --d_model=-1 --output="$O/t.safetensors"
check 2 train_dense "${tiny[@]}" --seq_len=99999999999999999999 --output="$O/t.safetensors"
check 2 dump_attention "$C" "$T" --num_seqs=-1 --output="$O/a.npy"
check 2 dump_attention "$C" "$T" --offset=-5 --output="$O/a.npy"
check 2 generate "$C" --prompt=the --max_bytes=-1
check 2 generate "$C" --prompt=the --top_k=-1
check 2 generate "$C" --prompt=the --slide=-1
check 2 generate "$C" --prompt=the --slide=99999
check 2 generate "$C"
check 2 evaluate "$C" "$T" --stride=-1
check 2 evaluate "$C" "$T" --batch_size=0
check 2 train_sparse "${tiny[@]}" --clip_norm=-inf --output="$O/t.safetensors"
check 2 generate "$C" --prompt=the --top_p=-inf
check 2 kmeans --input="$D/metrics.csv" --k=0 --output="$O/c.csv"
check 2 ward --input="$D/metrics.csv" --k=zero --output="$O/w.csv"
check 2 silhouette --input="$D/metrics.csv" --k_min=5 --k_max=2 --output="$O/s.csv"
check 2 derive_patterns --attention="$D/attention.npy" --clusters="$D/head_clusters.csv" --heads=-2 --output="$O/p.json"
check 2 import_checkpoint --input="$D/dense.pt" --output="$O/i.safetensors" --kind=medium
check 2 tokenize --input="$D/tokens.u8" --format=hex
check 2 tokenize --input="$D/tokens.u8" --output_prefix="$O/t" --splits=2,-1,0
check 2 describe
check 2 enwik8_fetch --md5=xyz --output="$O/enwik8"

# Inputs that contradict the options.
check 1 dump_attention "$C" "$T" --num_seqs=1 --seq_len=8 --layers=7 --output="$O/a.npy"
check 1 dump_attention "$C" "$T" --num_seqs=1 --seq_len=8 --heads=9 --output="$O/a.npy"
check 1 kmeans --input="$D/metrics.csv" --k=1000 --output="$O/c.csv"
check 2 kmeans --input="$D/metrics.csv" --features=no_such_column --output="$O/c.csv"  # as analysis_tools_test
check 1 import_checkpoint --input="$D/dense.pt" --output="$O/i.safetensors" --kind=sparse

# Unwritable outputs: a path below a regular file, and a full device for stdout. A side
# output is not left behind when the main one fails (15.6), nor a log or state (--output=-).
check 1 dump_attention "$C" "$T" --num_seqs=1 --seq_len=8 --output="$U/a.npy"
check 1 evaluate "$C" "$T" --max_bytes=64 --output="$U/e.tsv"
check 1 head_importance "$C" "$T" --seq_len=8 --batches=1 --batch_size=1 --output="$U/h.csv"
check 2 head_importance "$C" "$T" --batch_size=0 --output="$O/h.csv"
check 1 describe "$C" --output="$U/d.txt"
check 1 head_metrics --input="$D/attention.npy" --output="$U/m.csv"
check 1 kmeans --input="$D/metrics.csv" --k=2 --n_init=1 --output="$U/c.csv" --centroids="$O/centroids.csv"
check 1 kmeans --input="$D/metrics.csv" --k=2 --n_init=1 --output="$O/c.csv" --centroids="$U/centroids.csv"
check 1 silhouette --input="$D/clusters.csv" --output="$U/s.csv" --per_sample="$O/per_sample.csv"
check 1 silhouette --input="$D/clusters.csv" --output="$O/s.csv" --per_sample="$U/per_sample.csv"
check 1 ward --input="$D/metrics.csv" --k=2 --output="$U/w.csv" --centroids="$O/centroids.csv"
check 1 ward --input="$D/metrics.csv" --k=2 --output="$O/w.csv" --centroids="$U/centroids.csv"
check 1 derive_patterns --attention="$D/attention.npy" --clusters="$D/head_clusters.csv" --heads=2 --output="$U/p.json"
check 1 import_checkpoint --input="$D/dense.pt" --output="$U/i.safetensors"
check 1 tokenize --input="$D/tokens.u8" --output_prefix="$U/t"
check 1 enwik8_fetch --from_zip="$D/garbage" --output="$U/enwik8"
check 1 train_dense "${tiny[@]}" --output="$U/t.safetensors"
check 1 train_sparse "${tiny[@]}" --output="$O/t.safetensors" --log="$U/log.tsv"
check 2 train_dense "${tiny[@]}" --output=-
# A run that starts logs what --precision=auto chose before it fails: give the precision, so
# that the one line left is the error.
check 1 train_dense "${tiny[@]}" --lr=1e30 --warmup_steps=0 --precision=fp32 --output="$O/t.safetensors"
check 2 generate "$C" --prompt=the --max_bytes=4 --prompt_file="$D/tokens.u8"
for tool_args in "dump_attention $C $T --num_seqs=1 --seq_len=8" "describe $C" "head_metrics --input=$D/attention.npy" \
                 "kmeans --input=$D/metrics.csv --k=2 --n_init=1" "ward --input=$D/metrics.csv --k=2" \
                 "silhouette --input=$D/clusters.csv" "generate $C --prompt=the --max_bytes=4" \
                 "head_importance $C $T --seq_len=8 --batches=1 --batch_size=1" "tokenize --input=$D/tokens.u8 --format=ids"; do
  read -r -a a <<< "$tool_args"
  cases=$((cases + 1))
  rm -rf "$O"; mkdir -p "$O"
  (cd "$O" && timeout -s KILL 120 "$bin/${a[0]}" --threads=1 "${a[@]:1}" < /dev/null > /dev/full 2> "$W/stderr")
  rc=$?
  [ "$rc" -eq 1 ] || fail "$tool_args > /dev/full: exit $rc, expected 1: $(head -c 300 "$W/stderr")"
  [ "$(wc -l < "$W/stderr")" -eq 1 ] || fail "$tool_args > /dev/full: stderr is not one line: $(head -c 300 "$W/stderr")"
done

# A closed pipe downstream (15.7): every tool that writes to stdout exits 0 quietly, promptly.
# dump_attention, generate and tokenize write far more than a pipe holds, so their reader
# goes away while they write; the others may finish first, and then their run is a whole one.
words_corpus "$D/words.txt" 100000 2
big_prompt=$(head -c 200 "$D/tokens.u8")
for tool_args in "dump_attention $C $T --num_seqs=400 --seq_len=8" "describe $C" \
                 "head_metrics --input=$D/attention.npy" "kmeans --input=$D/metrics.csv --k=2 --n_init=1" \
                 "ward --input=$D/metrics.csv --k=2" "silhouette --input=$D/clusters.csv" \
                 "generate $C --max_bytes=100000" "tokenize --input=$D/words.txt --format=ids" \
                 "derive_patterns --attention=$D/attention.npy --clusters=$D/head_clusters.csv --heads=2" \
                 "import_checkpoint --input=$D/dense.pt --output=-" \
                 "head_importance $C $T --seq_len=8 --batches=1 --batch_size=1"; do
  read -r -a a <<< "$tool_args"
  [ "${a[0]}" = generate ] && a+=(--prompt="$big_prompt")
  cases=$((cases + 1))
  rm -rf "$O"; mkdir -p "$O"
  (cd "$O" && "$bin/${a[0]}" --threads=1 "${a[@]:1}" < /dev/null > /dev/null 2> "$W/stderr.whole")
  rm -rf "$O"; mkdir -p "$O"
  (cd "$O" && timeout -s KILL 120 "$bin/${a[0]}" --threads=1 "${a[@]:1}" < /dev/null 2> "$W/stderr" | head -c 1 > /dev/null
   echo "${PIPESTATUS[0]}" > "$W/rc")
  rc=$(cat "$W/rc")
  [ "$rc" -eq 0 ] || fail "$tool_args | head -c 1: exit $rc, expected 0$([ "$rc" -eq 137 ] && echo ' (hung)'): $(head -c 300 "$W/stderr")"
  # Quiet: no line beyond those of a whole run (its progress summary, if any).
  [ "$(wc -l < "$W/stderr")" -le "$(wc -l < "$W/stderr.whole")" ] ||
    fail "$tool_args | head -c 1: not quiet: $(head -c 300 "$W/stderr")"
  [ -z "$(find "$O" -mindepth 1)" ] || fail "$tool_args | head -c 1: left $(find "$O" -mindepth 1 | head -3)"
done

echo "$cases cases"
finish
