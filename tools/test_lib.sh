# Shared by the tools' sh_tests (source it after setting W to a scratch folder):
#   fail MESSAGE: counts and prints a failure.
#   expect_error CODE MESSAGE_SUBSTRING OUTPUT_FILE -- command...: the command exits with CODE,
#     prints exactly one stderr line containing the message, and leaves no OUTPUT_FILE* behind
#     ("" skips that check).
#   finish: exits 1 after failures, else prints PASS.
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

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

finish() {
  [ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
  echo "PASS"
}
