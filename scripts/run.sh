#!/usr/bin/env bash
# Runs a udeflow case end to end on all cores:  scripts/run.sh [case] [extra options]
#   case: a name under cases/ (default: burgers) or a path to a .yaml file.
#   The case file's `udeflow_commands` entry says what to run (default:
#   generate,train,evaluate): commands separated by commas, each optionally followed by
#   options for that step only ({out} stands for the output directory), e.g.
#   "generate,train -model {out}/adam.h5,train -train_optimizer tao -train_init {out}/adam.h5,evaluate".
#   Results go to results/<case>/ (or the -output_dir among the extra options), with each
#   step's output also in <step>[_<k>].log.  A second run of a case overwrites the first.
#   UDEFLOW_NP  number of MPI ranks (default: number of cores)
set -euo pipefail
UDEFLOW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$UDEFLOW_ROOT/scripts/setup.sh"

case_arg="${1:-burgers}"
[ $# -gt 0 ] && shift
if [ -f "$case_arg" ]; then
  case_file="$case_arg"
else
  case_file="$UDEFLOW_ROOT/cases/${case_arg%.yaml}.yaml"
fi
if [ ! -f "$case_file" ]; then
  echo "scripts/run.sh: no case file '$case_arg' (cases available: $(cd "$UDEFLOW_ROOT/cases" && ls *.yaml | sed 's/.yaml//' | tr '\n' ' '))" >&2
  exit 2
fi
case_name="$(basename "${case_file%.yaml}")"
commands="$(sed -n 's/^udeflow_commands:[[:space:]]*//p' "$case_file" | tr -d "\"'" | head -1)"
commands="${commands:-generate,train,evaluate}"
np="${UDEFLOW_NP:-$(nproc)}"
# The case's default output directory (results/<case>, as udeflow's own default), or the
# -output_dir given among the extra options (logs and figures go there too).
out="results/$case_name"
args=("$@")
for ((i = 0; i + 1 < ${#args[@]}; ++i)); do
  if [ "${args[i]}" = "-output_dir" ]; then out="${args[i+1]}"; fi
done
mkdir -p "$out"

echo "== udeflow case $case_name ($case_file) on $np MPI ranks: $commands -> $out"
start=$(date +%s)
IFS=',' read -r -a steps <<< "$commands"
declare -A seen=()
for step in "${steps[@]}"; do
  read -r -a words <<< "${step//\{out\}/$out}"
  [ ${#words[@]} -gt 0 ] || continue
  cmd="${words[0]}"
  seen[$cmd]=$(( ${seen[$cmd]:-0} + 1 ))
  log="$out/$cmd.log"
  if [ "${seen[$cmd]}" -gt 1 ]; then log="$out/${cmd}_${seen[$cmd]}.log"; fi
  echo "== udeflow ${words[*]}"
  udeflow_mpiexec "$np" "$BUILD_DIR/udeflow" "$cmd" -options_file "$case_file" -output_dir "$out" "$@" \
    "${words[@]:1}" 2>&1 | tee "$log"
done
# Figures: the case's own script (scripts/plot/<case>.py) if there is one, and the
# generic training histories for any case.
if /usr/bin/python3 -c "import matplotlib, h5py" 2>/dev/null; then
  plot="$UDEFLOW_ROOT/scripts/plot"
  if [ -f "$plot/$case_name.py" ]; then
    /usr/bin/python3 "$plot/$case_name.py" "$out" || echo "(plotting failed; the results are in $out)"
  fi
  if [ -f "$out/train_history.csv" ]; then /usr/bin/python3 "$plot/loss_history.py" "$out" || true; fi
  if [ -f "$out/bsde_history.csv" ]; then
    /usr/bin/python3 "$plot/bsde_history.py" "$out/bsde_history.csv" -o "$out/bsde_history.png" || true
  fi
fi
echo "== done: case $case_name in $(( $(date +%s) - start )) s; results in $out"
