#!/usr/bin/env bash
# Whole-tool tests of enwik8_fetch: a loopback HTTP server (lib/net/http_test_server.py)
# serves zips built here; each bad case must exit non-zero with one error line on stderr
# and leave no output and no stray file behind.
set -uo pipefail

TOOL="$PWD/tools/enwik8_fetch"
SERVER="$PWD/lib/net/http_test_server.py"
T="${TEST_TMPDIR:-$(mktemp -d)}/enwik8_fetch_test"
rm -rf "$T"
mkdir -p "$T/www"
failures=0
fail() {
  echo "FAIL [$case_name]: $*" >&2
  failures=$((failures + 1))
}

# Fixtures: a small fake enwik8 and zips of it, good and bad.
python3 - "$T/www" <<'PY'
import random, sys, zipfile
www = sys.argv[1]
rng = random.Random(8)
words = ["<page>", "<title>", "the ", "[[Link|text]] ", "of ", "&lt;ref&gt; ", "\n", "1999 ",
         "{{cite web}} ", "caf\u00e9 "]
member = "".join(rng.choice(words) for _ in range(60000)).encode()
open(f"{www}/member", "wb").write(member)
with zipfile.ZipFile(f"{www}/good.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("README", "not this one")
    z.writestr("enwik8", member)
with zipfile.ZipFile(f"{www}/other.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("enwik9", member)
good = open(f"{www}/good.zip", "rb").read()
open(f"{www}/truncated.zip", "wb").write(good[: len(good) // 2])
# A stored member with one flipped byte: every header is intact, only the CRC tells.
with zipfile.ZipFile(f"{www}/stored.zip", "w", zipfile.ZIP_STORED) as z:
    z.writestr("enwik8", member)
stored = bytearray(open(f"{www}/stored.zip", "rb").read())
stored[stored.find(member) + 1000] ^= 1
open(f"{www}/corrupt.zip", "wb").write(stored)
# A port that nothing listens on: bound, noted and closed again.
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    open(f"{www}/../closed_port", "w").write(str(s.getsockname()[1]))
PY
MEMBER="$T/www/member"
MD5=$(md5sum "$MEMBER" | cut -c1-32)
HALF=$(( $(stat -c %s "$T/www/good.zip") / 2 ))

# The server publishes its port in a file once it listens: wait for that file.
python3 "$SERVER" --root="$T/www" --port_file="$T/port" --log="$T/requests.log" \
  --lifetime_s=300 &
server_pid=$!
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null' EXIT
for _ in $(seq 3000); do
  [ -s "$T/port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { echo "test server died" >&2; exit 1; }
  sleep 0.01
done
[ -s "$T/port" ] || { echo "test server did not start" >&2; exit 1; }
BASE="http://127.0.0.1:$(cat "$T/port")"

# Range headers ("-" for none) the server logged for a path, one per line.
ranges() { awk -v p="$1" '$2 == p { print $3 }' "$T/requests.log"; }

# new_case NAME: a fresh, empty directory $D to run in.
new_case() {
  case_name="$1"
  D="$T/cases/$1"
  mkdir -p "$D"
}

# run ARGS...: runs the tool; sets $rc, leaves stdout and stderr in $T/out and $T/err.
run() {
  "$TOOL" "$@" >"$T/out" 2>"$T/err"
  rc=$?
}

expect_rc() { [ "$rc" -eq "$1" ] || fail "exit $rc, expected $1; stderr: $(cat "$T/err")"; }

# The error is the last stderr line, from the tool, and matches an extended regex.
expect_error() {
  local last
  last=$(tail -n 1 "$T/err")
  [[ "$last" == "enwik8_fetch: "* ]] || fail "last stderr line is not the tool's: $last"
  grep -qE -- "$1" <<<"$last" || fail "error '$last' does not match '$1'"
  if grep -qE 'Check failed|terminate called|Aborted|\*\*\*' "$T/err"; then
    fail "crash output on stderr: $(cat "$T/err")"
  fi
}

# As expect_error, and nothing else on stderr.
expect_only_error() {
  expect_error "$1"
  [ "$(wc -l <"$T/err")" -eq 1 ] || fail "stderr has more than one line: $(cat "$T/err")"
}

expect_files() {  # the exact listing of $D
  local got
  got=$(cd "$D" && find . -mindepth 1 | sort | tr '\n' ' ')
  [ "$got" == "$1" ] || fail "files in the case directory: '$got', expected '$1'"
}

expect_output() { cmp -s "$1" "$MEMBER" || fail "$1 differs from the member"; }

# --- success, and re-running it ---
new_case success
run --url="$BASE/files/good.zip" --output="$D/data/enwik8" --md5="$MD5" --retries=0
expect_rc 0
expect_output "$D/data/enwik8"
expect_files "./data ./data/enwik8 "
grep -q "wrote $D/data/enwik8 (.* bytes, MD5 $MD5, verified)" "$T/err" || fail "summary: $(cat "$T/err")"
run --url="$BASE/files/good.zip" --output="$D/data/enwik8" --md5="$MD5" --retries=0
expect_rc 0
grep -qx "enwik8_fetch: $D/data/enwik8 is already there and verified (.*); nothing to do" "$T/err" \
  || fail "re-run: $(cat "$T/err")"
[ "$(ranges /files/good.zip | wc -l)" -eq 1 ] || fail "the re-run downloaded again"
expect_output "$D/data/enwik8"

new_case replaces_invalid_output
printf 'not enwik8' >"$D/enwik8"
run --from_zip="$T/www/good.zip" --output="$D/enwik8" --md5="$MD5"
expect_rc 0
expect_output "$D/enwik8"
grep -q "exists but its MD5 is" "$T/err" || fail "no notice of the invalid file: $(cat "$T/err")"

new_case member_flag_and_md5_skip
run --from_zip="$T/www/other.zip" --member=enwik9 --output="$D/enwik9" --md5=skip
expect_rc 0
expect_output "$D/enwik9"
grep -q "not verified: --md5=skip" "$T/err" || fail "summary: $(cat "$T/err")"

# --- resume ---
new_case resume_within_a_run
run --url="$BASE/cut/good.zip" --output="$D/enwik8" --md5="$MD5" --retries=1 --retry_delay_s=0
expect_rc 0
expect_output "$D/enwik8"
expect_files "./enwik8 "
[ "$(ranges /cut/good.zip | tr '\n' ' ')" == "- bytes=$HALF- " ] \
  || fail "requests: $(ranges /cut/good.zip | tr '\n' ' ') (expected a Range from $HALF)"

new_case resume_across_runs
run --url="$BASE/cut/good.zip?2" --output="$D/enwik8" --md5="$MD5" --retries=0
expect_rc 1
expect_error "kept in $D/enwik8.zip.part and a re-run resumes"
expect_files "./enwik8.zip.part "
[ "$(stat -c %s "$D/enwik8.zip.part")" -eq "$HALF" ] || fail "the part is not the first half"
run --url="$BASE/cut/good.zip?2" --output="$D/enwik8" --md5="$MD5" --retries=0
expect_rc 0
expect_output "$D/enwik8"
expect_files "./enwik8 "
[ "$(ranges '/cut/good.zip?2' | tr '\n' ' ')" == "- bytes=$HALF- " ] \
  || fail "requests: $(ranges '/cut/good.zip?2' | tr '\n' ' ')"

new_case server_ignores_range
printf 'garbage that is not the start of the zip' >"$D/enwik8.zip.part"
run --url="$BASE/norange/good.zip" --output="$D/enwik8" --md5="$MD5" --retries=0
expect_rc 0
expect_output "$D/enwik8"
expect_files "./enwik8 "
[ "$(ranges /norange/good.zip)" == "bytes=40-" ] || fail "no Range was sent"

new_case stall_times_out
run --url="$BASE/stall/good.zip" --output="$D/enwik8" --md5="$MD5" --retries=0 --timeout_s=1
expect_rc 1
expect_error "no data for 1 s \(--timeout_s\).*kept in"

# --- bad cases: one error line, non-zero exit, nothing left behind ---
new_case http_404
run --url="$BASE/status/404" --output="$D/enwik8" --md5="$MD5" --retries=3
expect_rc 1
expect_only_error "cannot download $BASE/status/404: HTTP 404"
expect_files ""
[ "$(ranges /status/404 | wc -l)" -eq 1 ] || fail "404 was retried"

new_case http_500
run --url="$BASE/status/500" --output="$D/enwik8" --md5="$MD5" --retries=2 --retry_delay_s=0
expect_rc 1
expect_error "HTTP 500 \(gave up after 3 attempts\)"
expect_files ""
[ "$(ranges /status/500 | wc -l)" -eq 3 ] || fail "500 was not retried twice"

new_case connection_refused
port=$(cat "$T/closed_port")
run --url="http://127.0.0.1:$port/enwik8.zip" --output="$D/enwik8" --md5="$MD5" --retries=0
expect_rc 1
expect_only_error "cannot download http://127.0.0.1:$port/enwik8.zip: .*connect"
expect_files ""

new_case truncated_zip_downloaded
run --url="$BASE/files/truncated.zip" --output="$D/enwik8" --md5="$MD5" --retries=0
expect_rc 1
expect_error "is not a valid zip archive.*truncated or corrupt.*deleted, a re-run fetches it again"
expect_files ""

new_case truncated_zip_local
run --from_zip="$T/www/truncated.zip" --output="$D/enwik8" --md5="$MD5"
expect_rc 1
expect_only_error "$T/www/truncated.zip is not a valid zip archive"
expect_files ""

new_case corrupt_zip
run --from_zip="$T/www/corrupt.zip" --output="$D/enwik8" --md5=skip
expect_rc 1
expect_only_error "member 'enwik8' of zip $T/www/corrupt.zip is corrupt \(CRC error\)"
expect_files ""

new_case missing_zip
run --from_zip="$T/www/absent.zip" --output="$D/enwik8"
expect_rc 1
expect_only_error "cannot open zip $T/www/absent.zip"
expect_files ""

new_case zip_without_member
run --from_zip="$T/www/other.zip" --output="$D/enwik8" --md5="$MD5"
expect_rc 1
expect_only_error "has no member 'enwik8' \(it holds 'enwik9'\); see --member"
expect_files ""

new_case checksum_mismatch
run --url="$BASE/files/good.zip?md5" --output="$D/enwik8" --md5=00112233445566778899aabbccddeeff \
  --retries=0
expect_rc 1
expect_error "MD5 mismatch .*: got $MD5, expected 00112233445566778899aabbccddeeff"
expect_files ""

new_case not_enwik8_size
run --from_zip="$T/www/good.zip" --output="$D/enwik8"
expect_rc 1
expect_only_error "is [0-9]+ bytes, not 100000000 as enwik8 is"
expect_files ""

new_case unwritable_output
printf 'a file, not a directory' >"$D/file"
run --url="$BASE/files/good.zip?unwritable" --output="$D/file/enwik8" --md5="$MD5" --retries=0
expect_rc 1
expect_only_error "$D/file/enwik8.*choose a writable --output"
expect_files "./file "
[ "$(ranges '/files/good.zip?unwritable' | wc -l)" -eq 0 ] || fail "downloaded before checking"
run --from_zip="$T/www/good.zip" --output=/proc/enwik8_fetch_test/enwik8 --md5="$MD5"
expect_rc 1
expect_only_error "cannot create directory /proc/enwik8_fetch_test"

new_case output_is_a_directory
mkdir "$D/enwik8"
run --from_zip="$T/www/good.zip" --output="$D/enwik8" --md5="$MD5"
expect_rc 1
expect_only_error "exists and is not a regular file"

# --- stdout ---
new_case stdout_from_zip
run --from_zip="$T/www/good.zip" --output=- --md5="$MD5"
expect_rc 0
expect_output "$T/out"

new_case stdout_download
mkdir "$D/tmp"
TMPDIR="$D/tmp" run --url="$BASE/files/good.zip?stdout" --output=- --md5="$MD5" --retries=0
expect_rc 0
expect_output "$T/out"
expect_files "./tmp "

new_case stdout_checksum_mismatch
run --from_zip="$T/www/good.zip" --output=- --md5=00112233445566778899aabbccddeeff
expect_rc 1
expect_only_error "MD5 mismatch"
[ ! -s "$T/out" ] || fail "bytes reached stdout before the check"

# --- usage errors exit 2 ---
new_case usage
for args in "--md5=xyz" "--retries=-1" "--timeout_s=0" "--member=" "stray"; do
  run $args --output="$D/enwik8"
  expect_rc 2
  expect_only_error "."
done
run --no_such_flag --output="$D/enwik8"
expect_rc 2
expect_files ""

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all enwik8_fetch checks passed"
