#!/usr/bin/env bash
# Runs a udeflow command that must fail cleanly:
#   expect_error.sh <regex> <workdir> -- <command...>
# Passes when the command exits non-zero, prints exactly one "udeflow: error:" line
# matching <regex> on stderr, does not crash (no signal, no PETSc traceback), and
# leaves no partial files (*.partial) where it writes: its -output_dir (else <workdir> and
# the default results/<case> under it) and the directory of every .h5 path it is given.
# Only those directories, not their subdirectories: other tests write into subdirectories
# of <workdir> at the same time, and their files in progress are not this command's (a
# recursive scan failed on one, 2026-12-06).
set -u
regex="$1"; workdir="$2"; shift 3
out=$(mktemp); err=$(mktemp)
"$@" >"$out" 2>"$err"
rc=$?
fail() { echo "FAIL: $*"; echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"; rm -f "$out" "$err"; exit 1; }
[ $rc -ne 0 ] || fail "exit code 0, expected non-zero"
[ $rc -lt 128 ] || fail "killed by a signal (exit code $rc)"
n=$(grep -c "^udeflow: error" "$err")
[ "$n" -eq 1 ] || fail "expected exactly one 'udeflow: error' line, got $n"
grep "^udeflow: error" "$err" | grep -Eq -- "$regex" || fail "error line does not match /$regex/"
grep -q "PETSC ERROR" "$err" "$out" && fail "PETSc traceback printed"
dirs=() prev=""
for a in "$@"; do
  [ "$prev" = "-output_dir" ] && dirs+=("$a")
  case "$a" in *.h5) dirs+=("$(dirname "$a")") ;; esac
  prev="$a"
done
if [ "${#dirs[@]}" -eq 0 ]; then
  dirs=("$workdir")
  for d in "$workdir"/results/*/; do [ -d "$d" ] && dirs+=("$d"); done
fi
left=""
for d in "${dirs[@]}"; do
  [ -n "$left" ] || left=$(find "$d" -maxdepth 1 -name '*.partial' 2>/dev/null | head -1)
done
[ -z "$left" ] || fail "partial file left behind: $left"
echo "ok: $(grep '^udeflow: error' "$err")"
rm -f "$out" "$err"
