#!/usr/bin/env bash
# check_ocean_short.sh <workdir> <yaml> <command...>: runs `<command...> evaluate` of the
# short ocean case (face network form reading the depth over the mixing depth, the
# convective Froude number and the distance to the mixing depth in grid units, flux scaled
# by Q/Q_ref, softplus convective switch, as cases/ocean_column.yaml) and checks the
# held-out scaled-temperature MSE ratios against thresholds set between what a do-nothing
# online training scores (the untrained network, 0 L-BFGS iterations: online = convective
# adjustment to 3 digits) and what was measured (2 ranks; 2026-12-06 with the softplus
# switch and 300 iterations; in brackets the sqrt switch with 100 iterations: with the
# third input, froude_base, 2026-12-05; with the Froude input alone, 2026-12-05; without
# it, 2026-12-04, when the thresholds were set):
#
#   figure                                     do-nothing              measured                      required
#   ca / online, mean                          1.00 (1.00, 1.00, 1.00) 8.65 (3.50, 3.77, 3.69)       >= 1.9
#   ca / online, extrapolation (test_201)      1.00 (1.00, 1.00, 1.00) 6.66 (2.86, 3.52, 3.51)       >= 1.85
#   offline / online, mean                     4.20 (3.68, 5.57, 5.55) 36.30 (12.90, 20.92, 20.47)   >= 10
#   offline / online, interpolation (test_101) 8.30 (7.28, 8.91, 8.88) 247.89 (53.53, 40.07, 37.07)  >= 18
#
# (The softplus switch removes the sqrt switch's leak, so convective adjustment itself is
# better: held-out MSE 2.42e-5 / 5.74e-5 on test_101 / test_201, against 2.72e-5 / 6.35e-5.
# With 100 iterations the softplus short case measured 1.86, 1.51, 7.82, 34.26, missing three
# thresholds (its loss 1.31e-6 against the sqrt switch's 9.50e-7 at 100); with 200, 2.55, 1.99,
# 10.72, 65.53 (passing by 5-7% on two); the case trains 1200.  The short case now trains 300
# (loss 2.11e-7); the thresholds were not moved.)
#
# (The third input lowers the short case's ca/online and offline/online on the mean and
# extrapolation: its 100 iterations on 2 forcings are far from the case's 1200 on 64, where
# it lowers every held-out MSE 3-6x; the thresholds are unchanged and still sit between the
# do-nothing and the measured values.)
# (thresholds near the geometric mean of the two, unchanged.  The column form this test ran before,
# 2026-12-03, required ca/online >= 1.35, offline/online >= 0.9 and interpolation
# offline/online >= 1.6, measured 1.79, 1.15 and 2.92; it had no extrapolation guard.)
set -u
dir="$1"; yaml="$2"; shift 2
out=$("$@" evaluate -options_file "$yaml" -output_dir "$dir" 2>&1) || { echo "$out"; echo "FAIL: evaluate failed"; exit 1; }
echo "$out"
ca=$(echo "$out" | sed -n 's/^evaluate: ca \/ online MSE ratio \([0-9.eE+-]*\).*/\1/p')
off=$(echo "$out" | sed -n 's/^evaluate: offline \/ online MSE ratio \([0-9.eE+-]*\).*/\1/p')
offi=$(echo "$out" | sed -n 's/^evaluate: interpolation: offline \/ online MSE ratio \([0-9.eE+-]*\).*/\1/p')
cae=$(echo "$out" | sed -n 's/^evaluate: extrapolation: ca \/ online MSE ratio \([0-9.eE+-]*\).*/\1/p')
[ -n "$ca" ] && [ -n "$off" ] && [ -n "$offi" ] && [ -n "$cae" ] || { echo "FAIL: no ratios printed"; exit 1; }
awk -v a="$ca" -v b="$off" -v c="$offi" -v d="$cae" 'BEGIN {
  ok = (a >= 1.9 && d >= 1.85 && b >= 10 && c >= 18);
  printf "ca/online %.2f (>= 1.9), extrapolation ca/online %.2f (>= 1.85), offline/online %.2f (>= 10), interpolation offline/online %.2f (>= 18): %s\n",
         a, d, b, c, ok ? "ok" : "FAIL"; exit !ok }'
