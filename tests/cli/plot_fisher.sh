#!/usr/bin/env bash
# Runs scripts/plot/fisher_kpp.py on a small Fisher-KPP output directory and checks that
# it wrote a non-empty PNG, and that the loss panel names a step's windows:
#   plot_fisher.sh <source dir> <output dir>
# Exits 77 (skipped) when /usr/bin/python3 lacks matplotlib or h5py.
set -u
src="$1"; dir="$2"
/usr/bin/python3 -c "import matplotlib, h5py" 2>/dev/null || { echo "skipped: /usr/bin/python3 has no matplotlib/h5py"; exit 77; }
rm -f "$dir/fisher_kpp.png"
/usr/bin/python3 "$src/scripts/plot/fisher_kpp.py" "$dir" || exit 1
[ -s "$dir/fisher_kpp.png" ] || { echo "FAIL: $dir/fisher_kpp.png missing or empty"; exit 1; }
# The loss panel's names from scripts/reproduce.sh's log: a train step on other windows
# than the case's (the LM stage of cases/fisher_kpp.yaml) says which windows it fits.
logdir="$dir/plot_names"
rm -rf "$logdir" && mkdir -p "$logdir"
printf '%s\n' '# reproduce fisher_kpp seed 1' '$ udeflow train -options_file c.yaml' 'train      0  loss 1.0e-01' \
  '$ udeflow train -train_optimizer tao -tao_type lmvm' 'train      0  loss 1.0e-02' \
  '$ udeflow train -train_optimizer lm -train_window 5 -train_iterations 9' \
  'train      0  loss 1.0e-03' > "$logdir/reproduce.log"
names=$(cd "$src/scripts/plot" && /usr/bin/python3 -c \
  "import fisher_kpp, sys; print('|'.join(r[0] for r in fisher_kpp.loss_histories(sys.argv[1])))" "$logdir")
want="train (Adam)|train (L-BFGS)|train (LM, windows of 5)"
[ "$names" = "$want" ] || { echo "FAIL: loss panel names '$names', expected '$want'"; exit 1; }
echo "ok: $(stat -c %s "$dir/fisher_kpp.png") bytes; loss panel names $names"
