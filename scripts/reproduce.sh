#!/usr/bin/env bash
# Trains and evaluates every case (or the named ones) over its seeds and writes
# results/REPORT.md: per case every printed figure as mean +- sd over the seeds, the
# commands, wall time, peak memory, a bit-for-bit rerun check and the figures.
#   scripts/reproduce.sh [--np 2] [--seeds 1,2,3] [--short] [--no-rerun] [--out DIR]
#                        [--options "-opt value ..." (a variant; needs --out)] [case ...]
# Details: scripts/docs/reproduce.py --help.
set -euo pipefail
UDEFLOW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$UDEFLOW_ROOT/scripts/setup.sh"
exec /usr/bin/python3 "$UDEFLOW_ROOT/scripts/docs/reproduce.py" "$@"
