#!/bin/sh
# check_cli.sh <source dir> <udeflow> <work dir> <mpiexec...>: what a newcomer meets first.
#  - `udeflow <command> -help` lists udeflow's options (grouped, with defaults), not PETSc's,
#    exits 0 and creates nothing; -help petsc adds PETSc's; help/--help exit 0;
#  - the default output directory is results/<case> (generate, bsde);
#  - a resumed training reports this run's and the total iterations separately, and the
#    L-BFGS iteration limit is worded as the normal end;
#  - a plot script on a directory without its input is one line and exit 1.
set -u
src="$1"; ude="$2"; work="$3"; shift 3
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$work" && mkdir -p "$work/help" "$work/run" || exit 1

cd "$work/help" || exit 1
out=$("$@" "$ude" train -options_file "$src/cases/burgers.yaml" -help 2>&1) || fail "train -help exit $?"
# the value in effect is the case file's (train: iterations), shown with its default
it=$(sed -n '/^train:/,/^[^ #]/s/^  iterations: *\([0-9][0-9]*\).*/\1/p' "$src/cases/burgers.yaml")
[ -n "$it" ] || fail "cases/burgers.yaml has no train: iterations"
echo "$out" | grep -q "^  -train_iterations $it \[default" || fail "no -train_iterations $it with its default: $out"
echo "$out" | grep -q '^Burgers physics:' || fail "options not grouped by object"
echo "$out" | grep -q '^  -output_dir results/burgers ' || fail "default -output_dir is not results/burgers"
echo "$out" | grep -q -- '-ts_type' && fail "PETSc options listed without -help petsc"
[ "$(echo "$out" | wc -l)" -lt 200 ] || fail "train -help prints $(echo "$out" | wc -l) lines"
[ -z "$(ls -A .)" ] || fail "-help created $(ls -A .)"
out=$("$@" "$ude" train -options_file "$src/cases/burgers.yaml" -help petsc 2>&1) || fail "-help petsc exit"
echo "$out" | grep -q -- '-ts_type' || fail "-help petsc does not list -ts_type"
echo "$out" | grep -q -- '-train_iterations' && fail "-help petsc lists udeflow's options"
for a in help --help -help; do
  out=$("$@" "$ude" $a 2>&1) || fail "udeflow $a exits non-zero"
  echo "$out" | grep -q '^Commands:' || fail "udeflow $a does not list the commands"
done
out=$("$@" "$ude" help bsde -options_file "$src/cases/hjb100.yaml" 2>&1) || fail "help bsde exit"
echo "$out" | grep -q '^  -bsde_dim 100' || fail "help bsde does not list -bsde_dim"
[ -z "$(ls -A .)" ] || fail "-help created $(ls -A .)"

cd "$work/run" || exit 1
cp "$src/tests/cli/tiny.yaml" mycase.yaml
"$@" "$ude" generate -options_file mycase.yaml >gen.log 2>&1 || fail "generate: $(cat gen.log)"
[ -f results/mycase/dataset.h5 ] || fail "generate did not write results/mycase/dataset.h5"
"$@" "$ude" bsde -options_file "$src/cases/hjb100.yaml" -bsde_iterations 4 -bsde_valid_every 2 \
  -bsde_final_samples 0 >bsde.log 2>&1 || fail "bsde: $(cat bsde.log)"
[ -f results/hjb100/bsde_history.csv ] || fail "bsde did not write results/hjb100/bsde_history.csv"

lv="-options_file $src/cases/lotka_volterra.yaml -output_dir lv"
"$@" "$ude" generate $lv >lv0.log 2>&1 || fail "lv generate: $(cat lv0.log)"
"$@" "$ude" train $lv -train_iterations 6 -train_lbfgs_iterations 0 >lv1.log 2>&1 || fail "lv train"
"$@" "$ude" train $lv -train_iterations 10 -train_lbfgs_iterations 3 -train_resume latest \
  >lv2.log 2>&1 || fail "lv resume: $(cat lv2.log)"
grep -q 'at iteration 6 (-train_iterations 10 is the total: 4 to go)' lv2.log || fail "resume line: $(cat lv2.log)"
grep -q '^train: this run 7 iterations in .* s; in all 13 iterations in ' lv2.log || fail "final line: $(cat lv2.log)"
grep -q 'done: 3 iterations, the limit of 3 (TAO.s reason DIVERGED_MAXITS: the normal end)' lv2.log \
  || fail "L-BFGS end: $(cat lv2.log)"
grep -q 'this run' lv1.log && fail "a fresh run reports 'this run'"

# diagnose on a case that is not advection: the Burgers check alone; downwind is refused.
"$@" "$ude" diagnose -options_file "$src/cases/burgers.yaml" -output_dir diag >diag.log 2>&1 \
  || fail "diagnose on burgers.yaml: $(cat diag.log)"
grep -q 'burgers: gradient of the misfit' diag.log && [ -f diag/diagnose.h5 ] || fail "diagnose: $(cat diag.log)"
"$@" "$ude" diagnose -options_file "$src/cases/burgers.yaml" -output_dir diag2 -diagnose_kind downwind \
  >diag2.log 2>&1 && fail "diagnose -diagnose_kind downwind on burgers.yaml exits 0"
[ "$(grep -c 'udeflow: error: option -diagnose_kind downwind' diag2.log)" -eq 1 ] || fail "$(cat diag2.log)"
[ ! -e diag2 ] || fail "a refused diagnose created its output directory"

mkdir empty
msg=$(/usr/bin/python3 "$src/scripts/plot/burgers.py" empty 2>&1) && fail "plot on an empty directory exits 0"
[ "$(echo "$msg" | wc -l)" -eq 1 ] && echo "$msg" | grep -q 'dataset.h5' || fail "plot error is not one line: $msg"
echo "check_cli: ok"
