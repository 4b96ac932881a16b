#!/usr/bin/env bash
# Behaviour check between two builds of udeflow (a refactoring must not change results):
# runs every command on every physics in small (the command-line tests' tiny cases, the
# BSDE equations for a few hundred iterations) with build A and with build B, at 1 and 2
# ranks, and compares all outputs bit for bit with scripts/compare_results.py (models,
# training states, histories, datasets, evaluations, BSDE checkpoints).
#   tests/bench/compare_builds.sh OLD_UDEFLOW NEW_UDEFLOW [workdir]
# Prints one line per run directory ("identical" or the first difference); exits 1 if
# any differ.  A workdir that already holds OLD's outputs (a/) is reused for them.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OLD="$1"
NEW="$2"
WORK="${3:-/tmp/udeflow_compare_builds}"
PY=/usr/bin/python3
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMPI_MCA_mpi_yield_when_idle=1
T="$ROOT/tests/cli"
C="$ROOT/cases"

# run <bin> <dir> <np> <command> <args...>: one command, output appended to <dir>/log.txt
run() {
  local bin="$1" dir="$2" np="$3"
  shift 3
  mkdir -p "$dir"
  if ! (cd "$dir" && mpiexec -n "$np" "$bin" "$@" -output_dir "$dir" >>"$dir/log.txt" 2>&1); then
    echo "FAILED: $bin $* (np $np; $dir/log.txt)"
    return 1
  fi
}

suite() {
  local bin="$1" out="$2"
  for np in 1 2; do
    local d
    d="$out/burgers_np$np"
    for c in generate train evaluate; do run "$bin" "$d" "$np" $c -options_file "$T/tiny.yaml"; done
    d="$out/advection_np$np"
    for c in generate train evaluate diagnose; do run "$bin" "$d" "$np" $c -options_file "$T/advection_tiny.yaml"; done
    d="$out/fisher_np$np"
    for c in generate train evaluate; do run "$bin" "$d" "$np" $c -options_file "$T/fisher_tiny.yaml"; done
    d="$out/ocean_np$np"
    for c in generate train evaluate; do run "$bin" "$d" "$np" $c -options_file "$T/tiny_ocean.yaml"; done
    d="$out/lv_np$np"
    for c in generate train discover; do run "$bin" "$d" "$np" $c -options_file "$T/lv_tiny.yaml"; done
    d="$out/burgers_theta_np$np"  # implicit method, checkpointed adjoint, Adam then L-BFGS
    run "$bin" "$d" "$np" generate -options_file "$T/tiny.yaml"
    run "$bin" "$d" "$np" train -options_file "$T/tiny.yaml" -ts_type cn -adjoint_memory checkpoint \
      -train_lbfgs_iterations 3
    for eq in hjb100 allencahn100 bsb100; do
      run "$bin" "$out/${eq}_np$np" "$np" bsde -options_file "$C/$eq.yaml" -bsde_iterations 200 \
        -bsde_valid_every 50 -bsde_final_samples 1024
    done
  done
}

[ -d "$WORK/a" ] || suite "$OLD" "$WORK/a"
rm -rf "$WORK/b"
suite "$NEW" "$WORK/b"
status=0
for d in "$WORK"/a/*/; do
  name=$(basename "$d")
  if res=$("$PY" "$ROOT/scripts/compare_results.py" "$d" "$WORK/b/$name" 2>&1); then
    echo "$name: identical"
  else
    echo "$name: DIFFERENT"
    echo "$res" | grep -v "identical" | head -5
    status=1
  fi
done
exit $status
