#!/usr/bin/env bash
# check_plot.sh <python> <script> <output_dir> <png> [<png> ...]: runs a plot script on
# small output and checks that every named PNG exists and is not empty; exit 77 (skipped)
# without matplotlib/h5py.
set -u
py="$1"; script="$2"; dir="$3"; shift 3
"$py" -c "import matplotlib, h5py" 2>/dev/null || { echo "skipped: matplotlib/h5py not available"; exit 77; }
rm -f "$@"
MPLBACKEND=Agg "$py" "$script" "$dir" || exit 1
for png in "$@"; do
  [ -s "$png" ] || { echo "FAIL: $png missing or empty"; exit 1; }
  echo "ok: $png ($(stat -c %s "$png") bytes)"
done
