#!/usr/bin/env bash
# Runs scripts/plot/fisher_kpp.py on a small Fisher-KPP output directory and checks that
# it wrote a non-empty PNG:  plot_fisher.sh <source dir> <output dir>
# Exits 77 (skipped) when /usr/bin/python3 lacks matplotlib or h5py.
set -u
src="$1"; dir="$2"
/usr/bin/python3 -c "import matplotlib, h5py" 2>/dev/null || { echo "skipped: /usr/bin/python3 has no matplotlib/h5py"; exit 77; }
rm -f "$dir/fisher_kpp.png"
/usr/bin/python3 "$src/scripts/plot/fisher_kpp.py" "$dir" || exit 1
[ -s "$dir/fisher_kpp.png" ] || { echo "FAIL: $dir/fisher_kpp.png missing or empty"; exit 1; }
echo "ok: $(stat -c %s "$dir/fisher_kpp.png") bytes"
