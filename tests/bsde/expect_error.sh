#!/bin/sh
# CLI error test:  expect_error.sh <regex> <command...>
# Passes when the command exits non-zero and prints exactly one "udeflow: error:" line,
# and that line matches <regex> (it must name the option or the file).
pattern="$1"
shift
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -eq 0 ]; then
  echo "expect_error: the command succeeded; expected a non-zero exit" >&2
  exit 1
fi
n=$(printf '%s\n' "$out" | grep -c "^udeflow: error")
if [ "$n" -ne 1 ]; then
  echo "expect_error: expected exactly one 'udeflow: error' line, got $n" >&2
  exit 1
fi
if ! printf '%s\n' "$out" | grep "^udeflow: error" | grep -qE -- "$pattern"; then
  echo "expect_error: the error line does not match '$pattern'" >&2
  exit 1
fi
exit 0
