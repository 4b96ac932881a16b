#!/usr/bin/env bash
# Builds udeflow (installing what is missing) and runs the whole test suite with ctest:
# unit tests, MPI tests at 1, 2 and 3 ranks, regression and command-line tests.
#   scripts/test.sh [ctest arguments, e.g. -L unit or -R burgers]
set -euo pipefail
UDEFLOW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$UDEFLOW_ROOT/scripts/setup.sh"
cd "$BUILD_DIR"
ctest --output-on-failure -j "$(nproc)" "$@"
