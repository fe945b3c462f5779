#!/usr/bin/env bash
# make fuzz: builds every fuzz target (the rules tagged fuzz_target in fuzz/BUILD) with
# clang's libFuzzer, ASan and UBSan, and runs each for FUZZ_S seconds (default 60) from its
# seed corpus in fuzz/corpus/NAME/. Prints one line per target: executions, and whether it
# found anything. A finding exits 1 and leaves the input in out/fuzz/findings/NAME/.
# New inputs the fuzzer keeps go to out/fuzz/corpus/NAME/, never to the seeds.
#   fuzz/fuzz.sh [NAME...]     (default: every target)
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_S=${FUZZ_S:-60}
[[ "$FUZZ_S" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: FUZZ_S must be a positive number of seconds, not '$FUZZ_S'" >&2; exit 2; }
out=out/fuzz

# Debian's clang and its sanitizer and libFuzzer runtimes; the normal set-up does not need them.
bash scripts/setup.sh clang libclang-rt-14-dev

query() { bazel query "$@" 2>/dev/null; }
mapfile -t rules < <(query 'attr(tags, fuzz_target, kind(cc_test, //fuzz:all))')
names=()
for rule in "${rules[@]}"; do names+=("$(basename "${rule#//fuzz:}" _fuzz_test)"); done
if [ $# -gt 0 ]; then
  for name in "$@"; do
    [[ " ${names[*]} " == *" $name "* ]] || { echo "fuzz: no target '$name'; the targets are: ${names[*]}" >&2; exit 2; }
  done
  names=("$@")
fi

cxxflags=(-std=c++17 -O1 -g -fno-omit-frame-pointer -I. -fsanitize=fuzzer-no-link,address,undefined
          -fno-sanitize-recover=all)

# Compiles `src` (with the extra flags that follow it) into out/fuzz/obj unless its object
# is newer than every file it includes.
compile() {
  local src=$1 obj=$out/obj/${1%.cc}.o
  shift
  local dep=${obj%.o}.d
  if [ -f "$obj" ] && [ -f "$dep" ]; then
    local stale=0 f
    for f in $(sed -e 's/\\$//' -e 's/^[^:]*://' "$dep"); do
      [ "$f" -nt "$obj" ] && { stale=1; break; }
    done
    [ $stale -eq 0 ] && { echo "$obj"; return; }
  fi
  mkdir -p "$(dirname "$obj")"
  clang++ "${cxxflags[@]}" "$@" -MMD -MF "$dep" -c "$src" -o "$obj" >&2
  echo "$obj"
}

# Builds out/fuzz/bin/NAME from the .cc files of the workspace the rule depends on (less the
# regression driver), linked with the libraries its rules ask for.
build() {
  local name=$1 rule=//fuzz:${1}_fuzz_test
  local sources libs objs=() src
  sources=$(query "kind('source file', deps($rule))" | grep '^//.*\.cc$' | grep -v '^//fuzz:regression_main.cc$' |
            sed -e 's|^//||' -e 's|:|/|')
  libs=$(query --output=build "deps($rule)" | grep -o '"-l[^"]*"\|"-pthread"' | tr -d '"' | awk '!seen[$0]++')
  # The system headers outside /usr/include (LibTorch's API) come from the WORKSPACE's
  # new_local_repository rules.
  local repo includes=()
  for repo in $(query "deps($rule)" | sed -n 's|^@\([^/]*\)//:headers$|\1|p' | sort -u); do
    includes+=("-I$(query --output=build "//external:$repo" | sed -n 's|^ *path = "\(.*\)",$|\1|p')")
  done
  for src in $sources; do objs+=("$(compile "$src" "${includes[@]}")"); done
  mkdir -p "$out/bin"
  # shellcheck disable=SC2086  # one word per library
  clang++ "${cxxflags[@]}" -fsanitize=fuzzer "${objs[@]}" $libs -o "$out/bin/$name"
}

echo "fuzz: building ${names[*]} with clang (libFuzzer, ASan, UBSan)" >&2
for name in "${names[@]}"; do build "$name"; done

found=0
for name in "${names[@]}"; do
  work=$out/corpus/$name findings=$out/findings/$name log=$out/$name.log
  mkdir -p "$work" "$findings"
  code=0
  "$out/bin/$name" -max_total_time="$FUZZ_S" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$findings/" "$work" "fuzz/corpus/$name" >"$log" 2>&1 || code=$?
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  [ -n "$runs" ] || runs=$(grep -o '^#[0-9]*' "$log" | tr -d '#' | tail -1)
  if [ "$code" -eq 0 ]; then
    echo "fuzz: $name: ${runs:-0} executions in ${FUZZ_S} s, nothing found"
  else
    found=1
    what=$(grep -m1 -o 'ERROR: [A-Za-z]*Sanitizer: [^ ]*\|ERROR: libFuzzer: [^ ]*\|runtime error: .*' "$log" || echo "exit $code")
    input=$(grep -o 'Test unit written to .*' "$log" | tail -1 | sed 's/^Test unit written to //')
    echo "fuzz: $name: FOUND ($what) after ${runs:-?} executions: input ${input:-in $findings/}, log $log"
  fi
done
exit $found
