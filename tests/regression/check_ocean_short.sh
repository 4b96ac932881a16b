#!/usr/bin/env bash
# check_ocean_short.sh <workdir> <yaml> <command...>: runs `<command...> evaluate` of the
# short ocean case (network flux scaled by Q/Q_ref, as cases/ocean_column.yaml) and checks
# the held-out scaled-temperature MSE ratios against thresholds set between what a
# do-nothing online training scores (the network stays ~0, so online = convective
# adjustment) and what was measured (2026-12-03, 2 ranks, bit-identical in reruns):
#
#   figure                                   do-nothing   measured   required
#   ca / online, mean                           1.00        1.79      >= 1.35
#   offline / online, mean                      0.64        1.15      >= 0.9
#   offline / online, interpolation (test_101)  0.91        2.92      >= 1.6
#
# (thresholds near the geometric mean of the two; the first was >= 1.2 and the second
# >= 0.9 for the unscaled network, measured 1.38 and 1.08.)
set -u
dir="$1"; yaml="$2"; shift 2
out=$("$@" evaluate -options_file "$yaml" -output_dir "$dir" 2>&1) || { echo "$out"; echo "FAIL: evaluate failed"; exit 1; }
echo "$out"
ca=$(echo "$out" | sed -n 's/^evaluate: ca \/ online MSE ratio \([0-9.eE+-]*\).*/\1/p')
off=$(echo "$out" | sed -n 's/^evaluate: offline \/ online MSE ratio \([0-9.eE+-]*\).*/\1/p')
offi=$(echo "$out" | sed -n 's/^evaluate: interpolation: offline \/ online MSE ratio \([0-9.eE+-]*\).*/\1/p')
[ -n "$ca" ] && [ -n "$off" ] && [ -n "$offi" ] || { echo "FAIL: no ratios printed"; exit 1; }
awk -v a="$ca" -v b="$off" -v c="$offi" 'BEGIN { ok = (a >= 1.35 && b >= 0.9 && c >= 1.6);
  printf "ca/online %.2f (>= 1.35), offline/online %.2f (>= 0.9), interpolation offline/online %.2f (>= 1.6): %s\n",
         a, b, c, ok ? "ok" : "FAIL"; exit !ok }'
