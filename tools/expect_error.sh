# Sourced by the tools' sh_tests, which define fail(). expect_error CODE MESSAGE OUTPUT
# COMMAND...: COMMAND must exit with CODE, print exactly one line on stderr that matches
# MESSAGE (a grep pattern), and leave neither OUTPUT nor a temporary file beside it.
expect_error() {
  local code=$1 message=$2 output=$3
  shift 3
  local err
  err=$(mktemp "$TEST_TMPDIR/stderr.XXXXXX")
  rm -f "$output"
  "$@" >/dev/null 2>"$err"
  local got=$?
  [ "$got" -eq "$code" ] || fail "$*: exit $got, expected $code ($(cat "$err"))"
  [ "$(wc -l <"$err")" -eq 1 ] || fail "$*: not one line on stderr: $(cat "$err")"
  grep -q -- "$message" "$err" || fail "$*: stderr lacks '$message': $(cat "$err")"
  [ ! -e "$output" ] || fail "$*: left $output"
  ! ls "$(dirname "$output")" | grep -q 'tmp' || fail "$*: left a temporary file beside $output"
  rm -f "$err"
}
