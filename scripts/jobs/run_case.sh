#!/usr/bin/env bash
# Body of udeflow batch jobs (Slurm, PBS, or none): runs the commands of one case,
# requeue-safe.  The per-case files scripts/jobs/<case>.slurm|.pbs set the variables below
# and source this file; for a new case copy one of them and change CASE (and the
# resources), or run `CASE=<name> scripts/jobs/run_case.sh` directly.
#
#   CASE          case name under cases/ or path to a YAML file          (required)
#   UDEFLOW_ROOT  repository (default: the submit directory)
#   UDEFLOW       program (default: $UDEFLOW_ROOT/build/udeflow)
#   OUT           output directory (default: $UDEFLOW_ROOT/results/<case>; keep it fixed
#                 across requeues: that is where `latest` finds the checkpoint)
#   COMMANDS      e.g. "generate,train,evaluate" (default: the case's udeflow_commands):
#                 steps separated by commas, each a command optionally followed by options
#                 for that step only ({out} stands for OUT); without commas, words are steps
#   LAUNCHER      MPI launcher (default: srun under Slurm, mpiexec otherwise)
#   MODULES       environment modules to load (default: none)
#   CKPT_EVERY    training checkpoint every N iterations (default 50)
#   STOP_MARGIN   seconds before WALLTIME to ask udeflow to checkpoint and stop (PBS, or
#                 no scheduler; Slurm uses #SBATCH --signal instead; default 300)
#   WALLTIME      HH:MM:SS of the job (PBS: taken from the job if unset; 0: no timer)
#   REQUEUE       1: requeue the job when training was stopped before its end (default 1)
#   EXTRA         more udeflow options for every command
# What makes it requeue-safe: generate is skipped when the dataset exists; train and bsde
# run with -train_resume latest / -bsde_resume latest (a fresh start when there is no
# checkpoint yet); on SIGUSR1/SIGTERM udeflow writes a checkpoint at the end of the
# current iteration and exits 0, and this script then requeues the job instead of going
# on to evaluate; generate stops after its current trajectory, removes its partial file and
# exits 0, and the requeued job generates again.
set -uo pipefail
UDEFLOW_ROOT="${UDEFLOW_ROOT:-${SLURM_SUBMIT_DIR:-${PBS_O_WORKDIR:-$(pwd)}}}"
cd "$UDEFLOW_ROOT"
if [ -f "$CASE" ]; then case_file="$CASE"; else case_file="cases/${CASE%.yaml}.yaml"; fi
[ -f "$case_file" ] || { echo "run_case.sh: no case file for CASE=$CASE" >&2; exit 2; }
case_name="$(basename "${case_file%.yaml}")"
UDEFLOW="${UDEFLOW:-$UDEFLOW_ROOT/build/udeflow}"
OUT="${OUT:-$UDEFLOW_ROOT/results/$case_name}"
CKPT_EVERY="${CKPT_EVERY:-50}"
STOP_MARGIN="${STOP_MARGIN:-300}"
REQUEUE="${REQUEUE:-1}"
EXTRA="${EXTRA:-}"
if [ -z "${COMMANDS:-}" ]; then
  COMMANDS="$(sed -n 's/^udeflow_commands:[[:space:]]*//p' "$case_file" | tr -d "\"'" | head -1)"
  COMMANDS="${COMMANDS:-generate,train,evaluate}"
fi
if [ -z "${LAUNCHER:-}" ]; then
  if [ -n "${SLURM_JOB_ID:-}" ]; then LAUNCHER="srun"; else LAUNCHER="mpiexec"; fi
fi
if [ -n "${MODULES:-}" ] && command -v module > /dev/null 2>&1; then module load $MODULES; fi
mkdir -p "$OUT"
[ -x "$UDEFLOW" ] || { echo "run_case.sh: $UDEFLOW not built (cmake -S . -B build && cmake --build build -j)" >&2; exit 2; }

# PBS (and plain runs): a timer asks the launcher to stop STOP_MARGIN s before the end.
if [ -z "${WALLTIME:-}" ] && [ -n "${PBS_JOBID:-}" ] && command -v qstat > /dev/null 2>&1; then
  WALLTIME="$(qstat -f "$PBS_JOBID" 2>/dev/null | sed -n 's/.*Resource_List.walltime = //p' | head -1)"
fi
seconds() { local IFS=:; set -- $1; echo $(( 10#${1:-0} * 3600 + 10#${2:-0} * 60 + 10#${3:-0} )); }
job_start=$(date +%s)

interrupted=0
if [[ "$COMMANDS" == *,* ]]; then IFS=',' read -r -a steps <<< "$COMMANDS"; else read -r -a steps <<< "$COMMANDS"; fi
nstep=0
for step in "${steps[@]}"; do
  read -r -a words <<< "${step//\{out\}/$OUT}"
  [ ${#words[@]} -gt 0 ] || continue
  cmd="${words[0]}"
  nstep=$((nstep + 1))
  args=(-options_file "$case_file" -output_dir "$OUT" "${words[@]:1}")
  case "$cmd" in
    generate)
      if [ -f "$OUT/dataset.h5" ]; then echo "== $cmd: $OUT/dataset.h5 exists (requeued job), skipped"; continue; fi ;;
    train) args+=(-train_resume latest -train_checkpoint_every "$CKPT_EVERY") ;;
    bsde) args+=(-bsde_resume latest -bsde_checkpoint_every "$CKPT_EVERY") ;;
  esac
  echo "== udeflow $cmd ($case_name) with $LAUNCHER -> $OUT"
  log="$OUT/log_${nstep}_$cmd.txt"
  $LAUNCHER "$UDEFLOW" "$cmd" "${args[@]}" $EXTRA > >(tee "$log") 2>&1 &
  launcher_pid=$!
  timer_pid=""
  if [ -z "${SLURM_JOB_ID:-}" ] && [ -n "${WALLTIME:-}" ] && [ "$WALLTIME" != 0 ]; then
    left=$(( $(seconds "$WALLTIME") - STOP_MARGIN - ($(date +%s) - job_start) ))
    [ $left -lt 1 ] && left=1
    ( sleep "$left" && kill -USR1 "$launcher_pid" 2>/dev/null ) &
    timer_pid=$!
  fi
  wait "$launcher_pid"
  rc=$?
  if [ -n "$timer_pid" ]; then kill "$timer_pid" 2>/dev/null; wait "$timer_pid" 2>/dev/null; fi
  [ $rc -eq 0 ] || { echo "== udeflow $cmd failed (exit $rc); see $log" >&2; exit $rc; }
  if tail -n 20 "$log" | grep -Eq "received: stopping after (iteration|trajectory)|stop signal received"; then
    interrupted=1
    break
  fi
done

if [ $interrupted = 1 ]; then
  if [ "$cmd" = generate ]; then
    echo "== stopped before the end: generate wrote no dataset and starts over when run again"
  else
    echo "== stopped before the end with a checkpoint in $OUT"
  fi
  if [ "$REQUEUE" = 1 ]; then
    if [ -n "${SLURM_JOB_ID:-}" ]; then scontrol requeue "$SLURM_JOB_ID" && echo "== requeued $SLURM_JOB_ID"
    elif [ -n "${PBS_JOBID:-}" ]; then qrerun "$PBS_JOBID" && echo "== rerun $PBS_JOBID"
    else echo "== no scheduler: run the same command again to continue"; fi
  fi
  exit 0
fi
echo "== done: $case_name ($COMMANDS) in $(( $(date +%s) - job_start )) s; results in $OUT"
