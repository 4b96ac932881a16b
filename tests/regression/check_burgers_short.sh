#!/usr/bin/env bash
# check_burgers_short.sh <workdir> <yaml> <command...>: runs `<command...> evaluate` of the
# short Burgers case (learned flux correction on WENO5 at 32 cells, as cases/burgers.yaml
# at 64) and checks the held-out figures on the closure's grid against thresholds set
# between what a do-nothing training scores (the untrained network, 0 Adam iterations) and
# what was measured (2026-12-05, 2 ranks, with the 8-cell stencil and the third differences
# of cases/burgers.yaml):
#
#   figure                                            do-nothing   measured   required
#   closure MAE / un-closed WENO5 MAE, both 32 cells     1.001       0.401     <= 0.63
#   closure MAE / WENO5 at 64 cells (on the 32 grid)     3.07        1.23      <= 1.94
#   closure survival time (of 4 time units)              0.12        4.00      >= 1.0
#
# (ratio thresholds at the geometric mean of do-nothing and measured; with the first
# differences, until 2026-12-05: do-nothing 1.003, 3.07, 0.12; measured 0.438, 1.34, 2.92;
# thresholds 0.66 and 2.03, tightened to the new geometric means.  With the
# 6-cell stencil, until 2026-12-04: do-nothing 1.000, 3.06, 0.12; measured 0.457, 1.40,
# 4.00; thresholds 0.68 and 2.07, tightened to the new geometric means.)
set -u
dir="$1"; yaml="$2"; shift 2
out=$("$@" evaluate -options_file "$yaml" -output_dir "$dir" 2>&1) || { echo "$out"; echo "FAIL: evaluate failed"; exit 1; }
echo "$out"
row() { echo "$out" | awk -v m="$1" -v n="$2" -v f="$3" '
  index($0, m) == 3 { split(substr($0, length(m) + 3), a, " "); if (a[1] == n) print a[f] }'; }
cl=$(row "learned closure" 32 3); cls=$(row "learned closure" 32 4)
b32=$(row "no closure (baseline)" 32 3); b64=$(row "no closure (baseline)" 64 3)
[ -n "$cl" ] && [ -n "$cls" ] && [ -n "$b32" ] && [ -n "$b64" ] || { echo "FAIL: no MAE table printed"; exit 1; }
awk -v c="$cl" -v s="$cls" -v b="$b32" -v d="$b64" 'BEGIN {
  r1 = c / b; r2 = c / d; ok = (r1 <= 0.63 && r2 <= 1.94 && s >= 1.0);
  printf "closure / WENO5 at 32: %.3f (<= 0.63), closure / WENO5 at 64: %.3f (<= 1.94), survival %.2f (>= 1.0): %s\n",
         r1, r2, s, ok ? "ok" : "FAIL"; exit !ok }'
