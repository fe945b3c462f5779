#!/usr/bin/env bash
# Starts the N ranks of a data-parallel job on this machine, as torchrun --standalone does:
#   scripts/launch_local.sh N COMMAND [ARGS...]
# Rank r runs COMMAND ARGS with RANK=r, LOCAL_RANK=r, WORLD_SIZE=N, LOCAL_WORLD_SIZE=N,
# MASTER_ADDR=127.0.0.1 and MASTER_PORT ($MASTER_PORT if set, else a free port).
# SIGINT, SIGTERM and SIGHUP are passed on to every rank. When a rank fails, the others
# are stopped and the script exits with that rank's status; 0 only when every rank succeeded.
set -uo pipefail

usage() {
  echo "launch_local: $1" >&2
  echo "usage: scripts/launch_local.sh N COMMAND [ARGS...]  (N >= 1 ranks on this machine)" >&2
  exit 2
}

[ $# -ge 2 ] || usage "need the number of ranks and a command"
[[ "$1" =~ ^[1-9][0-9]*$ ]] || usage "the number of ranks must be a positive integer, not '$1'"
world_size=$1
shift

port="${MASTER_PORT:-}"
if [ -z "$port" ]; then
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ||
    { echo "launch_local: could not find a free port: set MASTER_PORT" >&2; exit 1; }
fi

# Job control puts each rank in its own process group with default signal handling (a
# script's background jobs otherwise ignore SIGINT), so a terminal's Ctrl-C reaches this
# script alone, and it passes the signal on once.
set -m
declare -A rank_of
pids=()
for ((rank = 0; rank < world_size; rank++)); do
  RANK=$rank LOCAL_RANK=$rank WORLD_SIZE=$world_size LOCAL_WORLD_SIZE=$world_size \
    MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$@" &
  pids+=($!)
  rank_of[$!]=$rank
done
set +m  # the ranks keep their own process groups; no job notices on stderr

signal_all() {
  for pid in "${pids[@]}"; do kill -s "$1" "$pid" 2>/dev/null; done
}
stopping=0
on_signal() {
  stopping=1
  signal_all "$1"
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

status=0
declare -A collected=()  # pid -> 1 once its exit status is in
n_collected=0
collect() {  # PID CODE
  collected[$1]=1
  n_collected=$((n_collected + 1))
  if [ "$2" -ne 0 ] && [ "$status" -eq 0 ]; then
    status=$2
    if [ "$stopping" -eq 0 ]; then
      echo "launch_local: rank ${rank_of[$1]} exited with status $2; stopping the other ranks" >&2
      stopping=1
      signal_all TERM
    fi
  fi
}
while [ "$n_collected" -lt "$world_size" ]; do
  finished=""
  wait -n -p finished
  code=$?
  if [ -n "${finished:-}" ]; then
    collect "$finished" "$code"
    continue
  fi
  # A signal interrupted the wait. bash 5.2 may also reap a rank while the trap runs and then
  # no longer report it to wait -n (the launcher spun forever): ask for such ranks by pid.
  found=0
  for pid in "${pids[@]}"; do
    [ -z "${collected[$pid]:-}" ] || continue
    kill -0 "$pid" 2>/dev/null && continue
    wait "$pid"
    collect "$pid" $?
    found=1
  done
  [ "$found" -eq 1 ] || sleep 0.1
done
exit "$status"
