#!/usr/bin/env bash
# Reproducibility benchmark: N reruns of each case under varied process conditions
# (tests/repro/rerun.py: ASLR on/off, environment size, MALLOC_PERTURB_, thread counts
# asked), at 1 and 2 ranks; prints "N of N identical" per case and rank count.
#   tests/bench/repro_cases.sh [-n N] [-w workdir] [case ...]
# Cases (shipped case files; the long ones shortened as said):
#   lotka_volterra  the case (generate, 200 Adam + 1000 L-BFGS, discover)
#   advection       the case (generate, train, evaluate)
#   hjb100          the case (bsde, 2000 iterations)
#   fisher_kpp      the case's Adam (2000) and L-BFGS (2500, -tao_gatol 1e-12) in one run, evaluate
#   ocean_column    the case (generate, offline 20000 Adam, online 1200 TAO L-BFGS, evaluate)
#   burgers         the case with 4 training forcings and 300 iterations (the full 3000
#                   take ~20 min a run), evaluate
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
N=10
WORK=/tmp/udeflow_repro_cases
while getopts "n:w:" o; do
  case $o in
    n) N=$OPTARG ;;
    w) WORK=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
CASES=("$@")
[ ${#CASES[@]} -gt 0 ] || CASES=(lotka_volterra advection hjb100 fisher_kpp ocean_column burgers)
UDE="${UDEFLOW:-$ROOT/build/udeflow}"
PY=/usr/bin/python3
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
C="$ROOT/cases"
for case in "${CASES[@]}"; do
  for np in 1 2; do
    args=(--udeflow "$UDE" --np "$np" --runs "$N" --generate-once --work "$WORK/${case}_np$np")
    case $case in
      lotka_volterra) args+=(--case "$C/lotka_volterra.yaml" --then discover) ;;
      advection) args+=(--case "$C/advection.yaml" --then evaluate) ;;
      hjb100) args+=(--command bsde --case "$C/hjb100.yaml") ;;
      fisher_kpp) args+=(--case "$C/fisher_kpp.yaml" --then evaluate -- -train_lbfgs_iterations 2500
                         -tao_gatol 1e-12 -tao_grtol 0 -tao_gttol 0) ;;
      ocean_column) args+=(--case "$C/ocean_column.yaml" --then evaluate) ;;
      burgers) args+=(--case "$C/burgers.yaml" --then evaluate -- -generate_train_seeds 1,2,3,4
                      -train_iterations 300) ;;
      *) echo "unknown case $case" >&2; exit 2 ;;
    esac
    start=$(date +%s)
    if out=$("$PY" "$ROOT/tests/repro/rerun.py" "${args[@]}" 2>&1); then verdict="$N of $N identical"; else verdict="DIFFER or FAILED"; fi
    echo "$case, $np rank(s): $verdict ($(( $(date +%s) - start )) s; $WORK/${case}_np$np)"
    echo "$out" | grep -E "DIFFERENT|failed|only in" | head -5 || true
  done
done
