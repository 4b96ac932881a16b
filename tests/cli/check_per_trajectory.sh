#!/usr/bin/env bash
# check_per_trajectory.sh <dir> <yaml> <model.h5> <command...>: generates 3 held-out
# trajectories of the tiny Burgers case into <dir>, evaluates <model.h5> against WENO5 at
# 4x its cells, and checks evaluate's per-trajectory line (closure / WENO5, each
# trajectory's MAE on the closure's grid) against the errors evaluate.h5 holds: the
# mean, sd, range and count at or below 1 recomputed here.  Exit 77 (skipped) without h5py.
set -u
dir="$1"; yaml="$2"; model="$3"; shift 3
/usr/bin/python3 -c "import h5py, numpy" 2>/dev/null || { echo "h5py not available: skipped"; exit 77; }
"$@" generate -options_file "$yaml" -output_dir "$dir" -generate_train_seeds 1 \
  -generate_test_seeds 101,102,103 > "$dir.generate.log" 2>&1 || { cat "$dir.generate.log"; echo "FAIL: generate"; exit 1; }
out=$("$@" evaluate -options_file "$yaml" -output_dir "$dir" -model "$model" -evaluate_baselines 32 \
  -evaluate_baseline_scheme burgers_reconstruction=weno5 -evaluate_baseline_scheme_cells 128 2>&1) \
  || { echo "$out"; echo "FAIL: evaluate failed"; exit 1; }
echo "$out"
line=$(echo "$out" | grep "^evaluate: per held-out trajectory, closure at 32 cells / weno5 at 128 cells")
[ -n "$line" ] || { echo "FAIL: no per-trajectory line"; exit 1; }
/usr/bin/python3 - "$dir/evaluate.h5" "$line" <<'PY'
import re, sys
import h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
tests = sorted(k for k in f if k.startswith("test_"))
r = np.array([f[t]["closure_32"]["mae"][:].mean() / f[t]["weno5_128"]["mae_closure_grid"][:].mean()
              for t in tests])
want = "mean %.2f, sd %.2f, range %.2f-%.2f, %d of %d at or below 1" % (
    r.mean(), r.std(ddof=1), r.min(), r.max(), (r <= 1).sum(), len(r))
ok = len(tests) == 3 and sys.argv[2].endswith(want)
print("per-trajectory ratios %s; expected '...%s': %s" % (np.round(r, 4), want, "ok" if ok else "FAIL"))
sys.exit(0 if ok else 1)
PY
