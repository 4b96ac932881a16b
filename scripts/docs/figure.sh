#!/usr/bin/env bash
# Regenerates the README's figure, docs/img/lotka_volterra.png: the five-minute start
# (Lotka-Volterra: generate, train, discover at 2 ranks, in results/docs-figure/) and its
# plot.  About 4 min on 2 loaded cores.  Usage: scripts/docs/figure.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
out=results/docs-figure
for cmd in generate train discover; do
  mpiexec -n 2 build/udeflow "$cmd" -options_file cases/lotka_volterra.yaml -output_dir "$out"
done
/usr/bin/python3 scripts/plot/lotka_volterra.py "$out" -o docs/img/lotka_volterra.png
