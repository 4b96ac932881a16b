#!/usr/bin/env bash
# check_ocean_short.sh <workdir> <yaml> <command...>: runs `<command...> evaluate` of the
# short ocean case and checks the held-out scaled-temperature MSE figures:
#   the online network beats convective adjustment alone by >= 1.3x (measured 1.59x),
#   and the offline (flux-fitted) network by >= 2x (measured 4.9x).
set -u
dir="$1"; yaml="$2"; shift 2
out=$("$@" evaluate -options_file "$yaml" -output_dir "$dir" 2>&1) || { echo "$out"; echo "FAIL: evaluate failed"; exit 1; }
echo "$out"
ca=$(echo "$out" | sed -n 's/^evaluate: ca \/ online MSE ratio \([0-9.eE+-]*\).*/\1/p')
off=$(echo "$out" | sed -n 's/^evaluate: offline \/ online MSE ratio \([0-9.eE+-]*\).*/\1/p')
[ -n "$ca" ] && [ -n "$off" ] || { echo "FAIL: no ratios printed"; exit 1; }
awk -v a="$ca" -v b="$off" 'BEGIN { ok = (a >= 1.3 && b >= 2.0); printf "ca/online %.2f (>= 1.3), offline/online %.2f (>= 2.0): %s\n", a, b, ok ? "ok" : "FAIL"; exit !ok }'
