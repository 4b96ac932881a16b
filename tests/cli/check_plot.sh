#!/usr/bin/env bash
# check_plot.sh <python> <script> <output_dir> <png>: runs a plot script on small output
# and checks that the PNG exists and is not empty; exit 77 (skipped) without
# matplotlib/h5py.
set -u
py="$1"; script="$2"; dir="$3"; png="$4"
"$py" -c "import matplotlib, h5py" 2>/dev/null || { echo "skipped: matplotlib/h5py not available"; exit 77; }
rm -f "$png"
MPLBACKEND=Agg "$py" "$script" "$dir" || exit 1
[ -s "$png" ] || { echo "FAIL: $png missing or empty"; exit 1; }
echo "ok: $png ($(stat -c %s "$png") bytes)"
