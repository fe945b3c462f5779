#!/usr/bin/env bash
# scripts/setup.sh against a fake dpkg-query and apt-get on PATH: silent when everything is
# installed, one line per step when it installs, the package manager's error when it fails.
set -uo pipefail
setup=scripts/setup.sh
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

fake="$tmp/bin"
mkdir -p "$fake"
# Installed unless named in $FAKE_MISSING.
cat >"$fake/dpkg-query" <<'FAKE'
#!/usr/bin/env bash
pkg="${!#}"
[[ " $FAKE_MISSING " == *" $pkg "* ]] && exit 1
printf 'install ok installed'
FAKE
# Logs its arguments, prints as much as a real run, fails the step named in $FAKE_FAIL.
cat >"$fake/apt-get" <<'FAKE'
#!/usr/bin/env bash
echo "$*" >>"$APT_LOG"
for i in $(seq 1000); do echo "Unpacking package $i ..."; done
if [ "$1" = "$FAKE_FAIL" ]; then
  echo "E: Unable to locate package $FAKE_MISSING"
  exit 100
fi
FAKE
printf '#!/usr/bin/env bash\nexec "$@"\n' >"$fake/sudo"
chmod +x "$fake"/*

# Runs setup.sh with FAKE_MISSING=$1 and FAKE_FAIL=$2; sets $code, $err and $apt.
run() {
  : >"$tmp/apt.log"
  PATH="$fake:$PATH" FAKE_MISSING="$1" FAKE_FAIL="$2" APT_LOG="$tmp/apt.log" bash "$setup" \
    >"$tmp/out" 2>"$tmp/err"
  code=$?
  err=$(cat "$tmp/err")
  apt=$(cat "$tmp/apt.log")
  [ ! -s "$tmp/out" ] || fail "printed on stdout: $(head -3 "$tmp/out")"
}

run "" ""
[ "$code" -eq 0 ] || fail "all installed: exit $code"
[ -z "$err" ] || fail "all installed: not silent: $err"
[ -z "$apt" ] || fail "all installed: ran apt-get $apt"

run "g++ make zip" ""
[ "$code" -eq 0 ] || fail "install: exit $code: $err"
expected="setup: updating package lists
setup: installing 3 packages: g++ make zip
setup: done"
[ "$err" = "$expected" ] || fail "install: stderr is not one line per step: $(head -5 "$tmp/err")"
[ "$apt" = "update -q
install -y -q --no-install-recommends g++ make zip" ] || fail "install: apt-get ran as: $apt"

run "python3-torch" "install"
[ "$code" -ne 0 ] || fail "failed install: exit 0"
grep -q "^setup: failed while installing 1 packages: python3-torch" "$tmp/err" || fail "failed install: no step named: $err"
grep -q "E: Unable to locate package python3-torch" "$tmp/err" || fail "failed install: apt-get's error not shown"
[ "$(wc -l <"$tmp/err")" -le 30 ] || fail "failed install: $(wc -l <"$tmp/err") lines, not the tail"
grep -q "setup: done" "$tmp/err" && fail "failed install: said done"

# Packages named as arguments replace the project's list.
: >"$tmp/apt.log"
PATH="$fake:$PATH" FAKE_MISSING="clang" FAKE_FAIL="" APT_LOG="$tmp/apt.log" bash "$setup" clang make 2>"$tmp/err"
[ "$?" -eq 0 ] || fail "arguments: exit non-zero: $(cat "$tmp/err")"
[ "$(tail -1 "$tmp/apt.log")" = "install -y -q --no-install-recommends clang" ] || fail "arguments: $(cat "$tmp/apt.log")"

run "zip" "update"
[ "$code" -ne 0 ] || fail "failed update: exit 0"
grep -q "^setup: failed while updating package lists" "$tmp/err" || fail "failed update: $err"
[ "$apt" = "update -q" ] || fail "failed update: went on to: $apt"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "PASS"
