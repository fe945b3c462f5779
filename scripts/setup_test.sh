#!/usr/bin/env bash
# scripts/setup.sh against a fake dpkg-query and apt-get on PATH: silent when everything is
# installed, one line per step when it installs, the package manager's error when it fails.
set -uo pipefail
setup=scripts/setup.sh
source tools/test_lib.sh

fake="$W/bin"
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
  : >"$W/apt.log"
  PATH="$fake:$PATH" FAKE_MISSING="$1" FAKE_FAIL="$2" APT_LOG="$W/apt.log" bash "$setup" \
    >"$W/out" 2>"$W/err"
  code=$?
  err=$(cat "$W/err")
  apt=$(cat "$W/apt.log")
  [ ! -s "$W/out" ] || fail "printed on stdout: $(head -3 "$W/out")"
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
[ "$err" = "$expected" ] || fail "install: stderr is not one line per step: $(head -5 "$W/err")"
[ "$apt" = "update -q
install -y -q --no-install-recommends g++ make zip" ] || fail "install: apt-get ran as: $apt"

run "python3-torch" "install"
[ "$code" -ne 0 ] || fail "failed install: exit 0"
grep -q "^setup: failed while installing 1 packages: python3-torch" "$W/err" || fail "failed install: no step named: $err"
grep -q "E: Unable to locate package python3-torch" "$W/err" || fail "failed install: apt-get's error not shown"
[ "$(wc -l <"$W/err")" -le 30 ] || fail "failed install: $(wc -l <"$W/err") lines, not the tail"
grep -q "setup: done" "$W/err" && fail "failed install: said done"

# Packages named as arguments replace the project's list.
: >"$W/apt.log"
PATH="$fake:$PATH" FAKE_MISSING="clang" FAKE_FAIL="" APT_LOG="$W/apt.log" bash "$setup" clang make 2>"$W/err"
[ "$?" -eq 0 ] || fail "arguments: exit non-zero: $(cat "$W/err")"
[ "$(tail -1 "$W/apt.log")" = "install -y -q --no-install-recommends clang" ] || fail "arguments: $(cat "$W/apt.log")"

run "zip" "update"
[ "$code" -ne 0 ] || fail "failed update: exit 0"
grep -q "^setup: failed while updating package lists" "$W/err" || fail "failed update: $err"
[ "$apt" = "update -q" ] || fail "failed update: went on to: $apt"

finish
