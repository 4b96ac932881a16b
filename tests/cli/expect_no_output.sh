#!/usr/bin/env bash
# Runs a command that must succeed without printing a line matching <regex>:
#   expect_no_output.sh <regex> -- <command...>
set -u
regex="$1"; shift 2
out=$(mktemp)
"$@" >"$out" 2>&1
rc=$?
if [ $rc -ne 0 ] || grep -Eq -- "$regex" "$out"; then
  echo "FAIL: exit code $rc, or output matching /$regex/:"; cat "$out"; rm -f "$out"; exit 1
fi
echo "ok: exit 0, no line matching /$regex/"
rm -f "$out"
