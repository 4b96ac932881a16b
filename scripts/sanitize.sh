#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer run of the unit and MPI tests; sourced by
# `scripts/test.sh --sanitize [ctest arguments]` (docs/integrity.md).
#   UDEFLOW_SANITIZE_DIR  build directory (default: <repo>/build-sanitize)
# Configures the build directory once (-O1 without debug information: -g triples the
# compile time of the Eigen- and PETSc-heavy sources, and -O0 makes the Eigen kernels 5-10x
# slower; reports name functions, UDEFLOW_SANITIZE_DEBUG=1 adds -g for file:line;
# -fsanitize=address,undefined, frame pointers kept; Ninja when installed, which builds the
# test programs in parallel), builds only the test programs of the selected tests (default
# ctest -L "unit|mpi") and runs them.  Any report fails its test: ASan and UBSan stop the
# program at the first report (halt_on_error), LeakSanitizer fails it at exit.  Leaks
# inside Open MPI, PETSc, HDF5 and the libraries under them are suppressed by name
# (tests/support/lsan.supp), leaks in udeflow's own code are not.
set -euo pipefail
UDEFLOW_ROOT="${UDEFLOW_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
SAN_DIR="${UDEFLOW_SANITIZE_DIR:-$UDEFLOW_ROOT/build-sanitize}"
# The CI subset (--ci), chosen by sanitizer run time: every unit test, the BSDE kernels,
# and the gradient tests of Burgers, advection, Lotka-Volterra and the tutorial physics at
# 2 ranks (halo exchange, reductions).  Left to the full run (each 2-5 min under the
# sanitizers): fisher_kpp, ocean_column, burgers_physics, binomial_adjoint, bsde_radial
# and the 3-rank runs.
CI_SUBSET='^(unit_.*|bsde_(reference|kernels|mpi)_np[0-9]|(burgers_adjoint|advection|lotka_volterra|reaction_diffusion)_np2)$'
san_flags="-fsanitize=address,undefined -fno-omit-frame-pointer"
if [ "$(id -u)" = 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
mkdir -p "$SAN_DIR"
extra=()
if [ ! -f "$SAN_DIR/CMakeCache.txt" ]; then
  if command -v ccache > /dev/null; then extra=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  if command -v ninja > /dev/null; then extra+=(-G Ninja); fi
fi
opt_flags="-O1"
if [ "${UDEFLOW_SANITIZE_DEBUG:-0}" = 1 ]; then opt_flags="-O1 -g"; fi
# Configured on every run (quick when nothing changed): timeouts x4 for the slower programs.
cmake -S "$UDEFLOW_ROOT" -B "$SAN_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$opt_flags" -DCMAKE_CXX_FLAGS="$san_flags" \
      -DCMAKE_EXE_LINKER_FLAGS="$san_flags" -DCMAKE_SHARED_LINKER_FLAGS="$san_flags" \
      -DCMAKE_MODULE_LINKER_FLAGS="$san_flags" -DUDEFLOW_WITH_CATALYST=OFF \
      -DUDEFLOW_TEST_TIMEOUT_FACTOR=4 "${extra[@]}" > "$SAN_DIR/udeflow-configure.log" 2>&1 \
  || { cat "$SAN_DIR/udeflow-configure.log" >&2
       echo "scripts/test.sh --sanitize: configuring $SAN_DIR failed (run scripts/setup.sh first)" >&2
       exit 1; }
selection=("$@")
# Default: every unit and MPI test but those that cannot run under ASan (label no_sanitize:
# bsde_alloc replaces malloc itself).  --ci: the subset .ci/run takes (see CI_SUBSET).
if [ ${#selection[@]} -eq 0 ]; then selection=(-L "unit|mpi" -LE no_sanitize); fi
if [ "${selection[0]}" = "--ci" ]; then selection=(-L "unit|mpi" -LE no_sanitize -R "$CI_SUBSET"); fi
# The test programs the selected tests run (test_<name> targets).
mapfile -t targets < <(cd "$SAN_DIR" && ctest --show-only=json-v1 "${selection[@]}" |
  /usr/bin/python3 -c '
import json, os, sys
names = set()
for t in json.load(sys.stdin).get("tests", []):
    words = t.get("command", [])
    if not words:  # a program not built yet and run directly: its target is test_<name>
        names.add("test_" + t["name"])
    for word in words:
        base = os.path.basename(word)
        if base.startswith("test_"):
            names.add(base)
print("\n".join(sorted(names)))')
if [ ${#targets[@]} -eq 0 ]; then
  echo "scripts/test.sh --sanitize: no test program selected by: ${selection[*]}" >&2
  exit 1
fi
echo "sanitize: building ${#targets[@]} test programs in $SAN_DIR"
cmake --build "$SAN_DIR" -j "$(nproc)" --target "${targets[@]}"
supp="$UDEFLOW_ROOT/tests/support"
# fast_unwind_on_malloc=0: full allocation stacks through the libraries built without frame
# pointers (the fast unwinder stops at their first frame, so a leak inside an Open MPI
# plugin showed one "<unknown module>" frame that no suppression could name).
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0:fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp"
cd "$SAN_DIR"
ctest --output-on-failure -j "$(nproc)" "${selection[@]}"
