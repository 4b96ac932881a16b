#!/usr/bin/env bash
# Builds udeflow (installing what is missing) and runs the whole test suite with ctest:
# unit tests, MPI tests at 1, 2 and 3 ranks, regression and command-line tests.
#   scripts/test.sh [ctest arguments, e.g. -L unit or -R burgers]
# Skips: a test skips itself when an optional tool is missing (ParaView/pvbatch, Python
# with matplotlib/h5py): exit code 77 in scripts (ctest counts it as skipped), GTEST_SKIP
# in GoogleTest programs.  With CI=true (set by .ci/run) every skip FAILS, so a green CI
# run has run every check; UDEFLOW_ALLOW_SKIPS=1 allows skips again (a partial local
# set-up).  Without CI=true skips are allowed.  The rule lives in
# tests/support/skip_policy.sh (scripts) and tests/support/gtest_petsc_main.cpp (gtest).
set -euo pipefail
UDEFLOW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$UDEFLOW_ROOT/scripts/setup.sh"
cd "$BUILD_DIR"
ctest --output-on-failure -j "$(nproc)" "$@"
