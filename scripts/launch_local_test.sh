#!/usr/bin/env bash
# scripts/launch_local.sh starts every rank with the torchrun environment, fails when a
# rank fails, passes signals on, and rejects bad arguments.
set -uo pipefail
launch=scripts/launch_local.sh
worker=lib/dist/dist_test_worker
source tools/test_lib.sh

# 3 ranks that check their collectives against hand-computed values.
if ! "$launch" 3 "$worker" --threads=1 --dist_timeout_s=60 2>"$W/ok.err"; then
  fail "3 good ranks: $(cat "$W/ok.err")"
fi

# A rank that dies: non-zero exit and a line naming a failed rank.
"$launch" 2 "$worker" --scenario=die --threads=1 --dist_timeout_s=60 2>"$W/die.err"
code=$?
[ "$code" -ne 0 ] || fail "a dying rank gave exit 0"
grep -q "^launch_local: rank [01] exited with status" "$W/die.err" || fail "no rank named: $(cat "$W/die.err")"

# Signals reach every rank: both ranks gone after the launcher gets SIGINT, then SIGTERM.
for sig in INT TERM; do
  pids="$W/pids_$sig"
  mkdir -p "$pids"
  # Under job control, as from a terminal: a script's background job would ignore SIGINT.
  set -m
  "$launch" 2 "$worker" --scenario=hold --pid_dir="$pids" --threads=1 --dist_timeout_s=60 2>"$W/hold.err" &
  launcher=$!
  set +m
  for _ in $(seq 600); do
    [ -s "$pids/0.pid" ] && [ -s "$pids/1.pid" ] && break
    sleep 0.1
  done
  if ! [ -s "$pids/0.pid" ] || ! [ -s "$pids/1.pid" ]; then
    fail "SIG$sig: ranks did not start: $(cat "$W/hold.err")"
    kill -KILL "$launcher"
    continue
  fi
  kill -s "$sig" "$launcher"
  wait "$launcher"
  code=$?
  [ "$code" -ne 0 ] || fail "SIG$sig: launcher exited 0"
  for rank in 0 1; do
    pid=$(cat "$pids/$rank.pid")
    if kill -0 "$pid" 2>/dev/null; then
      fail "SIG$sig: rank $rank (pid $pid) still running"
      kill -KILL "$pid"
    fi
  done
done

# Usage errors exit 2.
"$launch" 2>/dev/null; [ $? -eq 2 ] || fail "no arguments did not exit 2"
"$launch" two "$worker" 2>"$W/usage.err"; [ $? -eq 2 ] || fail "N=two did not exit 2"
grep -q "must be a positive integer, not 'two'" "$W/usage.err" || fail "unclear usage error: $(cat "$W/usage.err")"

finish
