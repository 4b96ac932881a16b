#!/usr/bin/env bash
# Checks (does not fix) the code conventions; run by scripts/test.sh before the tests.
#   1. clang-format (.clang-format) on every C++ file under src/ include/ tests/
#   2. no function in src/ longer than 80 lines (scripts/check/function_length.py)
#   3. concrete physics headers (src/pde/<physics>.hpp) are included only by the physics
#      itself, the registry (src/pde/registry.cpp) and tests
#   4. comments cite papers or state the fact, never files outside the repository
# Exits 1 listing what is wrong.  Fix formatting with:
#   git ls-files 'src/*.cpp' 'src/*.hpp' 'src/*.h' 'include/*.hpp' 'tests/*.cpp' 'tests/*.hpp' | xargs clang-format -i
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
status=0
mapfile -t cxx < <(git ls-files 'src/*.cpp' 'src/*.hpp' 'src/*.h' 'include/*.hpp' 'include/*.h' 'tests/*.cpp' 'tests/*.hpp')
if [ ${#cxx[@]} -eq 0 ]; then
  echo "style: not a git checkout; skipping the style checks" >&2
  exit 0
fi
CF=$(command -v clang-format-14 || command -v clang-format || true)
if [ -n "$CF" ]; then
  if ! "$CF" --dry-run --Werror "${cxx[@]}" 2>/tmp/udeflow_style_$$.log; then
    echo "style: files not formatted with .clang-format:" >&2
    grep -o "^[^:]*\.\(cpp\|hpp\|h\)" /tmp/udeflow_style_$$.log | sort -u | sed 's/^/  /' >&2
    status=1
  fi
  rm -f /tmp/udeflow_style_$$.log
else
  echo "style: clang-format not installed (Debian: apt-get install clang-format); format check skipped" >&2
  [ "${CI:-}" = true ] && status=1
fi
mapfile -t srcs < <(git ls-files 'src/*.cpp' 'src/*.hpp' 'src/*.h')
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
if ! "$PY" scripts/check/function_length.py --max 80 "${srcs[@]}" >&2; then
  echo "style: functions above are longer than 80 lines" >&2
  status=1
fi
physics='burgers|advection|fisher_kpp|ocean_column|lotka_volterra|ode|face_closure|stencil_closure'
bad=$(git grep -nE "#include \"(udeflow/pde/|pde/)?($physics)\.hpp\"" -- src include |
      grep -vE "^(src/pde|include/udeflow/pde)/" || true)
if [ -n "$bad" ]; then
  echo "style: concrete physics headers included outside their physics and the registry:" >&2
  echo "$bad" | sed 's/^/  /' >&2
  status=1
fi
refs=$(git grep -nE "(REFERENCE|DESIGN)\.md" -- src include tests cases scripts ':!scripts/check/style.sh' || true)
if [ -n "$refs" ]; then
  echo "style: comments cite files outside the repository:" >&2
  echo "$refs" | sed 's/^/  /' >&2
  status=1
fi
[ $status -eq 0 ] && echo "style: clang-format, function length, physics headers, citations: ok"
exit $status
