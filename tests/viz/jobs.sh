#!/usr/bin/env bash
# Job scripts: every scripts/jobs file parses; the generic body run locally (no scheduler)
# with a wall time so short that its timer stops training with SIGUSR1 -> checkpoint,
# exit 0, "run again"; the rerun skips generate, resumes training from the latest
# checkpoint, evaluates, and says done.   Usage: jobs.sh <source dir> <build dir> <work dir> <mpiexec...>
set -uo pipefail
src="$1"; build="$2"; work="$3"; shift 3
launcher="$*"
for f in "$src"/scripts/jobs/*; do bash -n "$f" || { echo "FAIL: syntax error in $f"; exit 1; }; done
grep -L "run_case.sh" "$src"/scripts/jobs/*.slurm "$src"/scripts/jobs/*.pbs | grep . && { echo "FAIL: job file not using run_case.sh"; exit 1; }
rm -rf "$work"; mkdir -p "$work"
export UDEFLOW_ROOT="$src" UDEFLOW="$build/udeflow" OUT="$work/out" CASE="$src/tests/cli/tiny.yaml" LAUNCHER="$launcher"
export COMMANDS="generate train evaluate" CKPT_EVERY=1000000 STOP_MARGIN=0 REQUEUE=1
# The dataset first, untimed, so that the 8-second timer falls in training however loaded
# the machine is (on a loaded machine generate alone took over 8 s and the timer stopped
# it: generate writes dataset.h5.partial and has no checkpoint, so the job failed).
COMMANDS=generate WALLTIME=0 "$src/scripts/jobs/run_case.sh" > "$work/generate.txt" 2>&1 \
  || { echo "FAIL: generate exit $?"; cat "$work/generate.txt"; exit 1; }
WALLTIME=00:00:08 EXTRA="-train_iterations 1000000 -train_monitor_every 50" "$src/scripts/jobs/run_case.sh" > "$work/first.txt" 2>&1
rc=$?
grep -q "stopped before the end with a checkpoint" "$work/first.txt" && [ $rc = 0 ] \
  || { echo "FAIL: first run (rc $rc) was not stopped cleanly"; cat "$work/first.txt"; exit 1; }
grep -q "no scheduler: run the same command again" "$work/first.txt" || { echo "FAIL: no requeue message"; exit 1; }
[ ! -f "$work/out/evaluate.h5" ] || { echo "FAIL: evaluate ran after an interrupted training"; exit 1; }
it=$(sed -n 's/.*stopping after iteration \([0-9]*\).*/\1/p' "$work/first.txt" | head -1)
[ -n "$it" ] || { echo "FAIL: no stop iteration"; cat "$work/first.txt"; exit 1; }
end=$(( it + 4 ))
WALLTIME=0 EXTRA="-train_iterations $end" "$src/scripts/jobs/run_case.sh" > "$work/second.txt" 2>&1
rc=$?
[ $rc = 0 ] || { echo "FAIL: rerun exit $rc"; cat "$work/second.txt"; exit 1; }
grep -q "dataset.h5 exists (requeued job), skipped" "$work/second.txt" || { echo "FAIL: generate not skipped"; exit 1; }
grep -q "resuming from .*train_state.h5 at iteration $(( it + 1 ))" "$work/second.txt" \
  || { echo "FAIL: training did not resume at iteration $(( it + 1 ))"; cat "$work/second.txt"; exit 1; }
grep -q "== done:" "$work/second.txt" && [ -f "$work/out/evaluate.h5" ] || { echo "FAIL: rerun did not finish"; exit 1; }
echo "ok: stopped after iteration $it by the wall-time timer, resumed and finished at $end"
