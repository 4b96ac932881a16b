#!/usr/bin/env bash
# check_fisher_resolved.sh <dir> <case.yaml> <command...>: the resolved truth of
# cases/fisher_kpp_resolved.yaml and the classical baseline evaluate judges it against.
#  1. The truth at 8, 16 and 32 fine nodes per model cell (the case's own options, the IC
#     centred so fine nodes are cell midpoints): the 26-cell averages converge at second
#     order (|c8 - c32| / |c16 - c32| = 5 for an h^2 error; accepted 4-6), and the 32x
#     truth's own error estimated from it is < 1% of the classical scheme's error.
#  2. evaluate's classical baseline (3-point Laplacian, true D and r, 26 cells, RK4 dt
#     0.025, started from the cell averages at t = 0) against a numpy implementation of
#     the same scheme on the same data: every snapshot's MAE to 1e-9 relative.
# Exit 77 (skipped) without h5py.
set -u
dir="$1"; yaml="$2"; shift 2
/usr/bin/python3 -c "import h5py, numpy" 2>/dev/null || { echo "h5py not available: skipped"; exit 77; }
mkdir -p "$dir"
common=(-options_file "$yaml" -generate_train_seeds 0 -generate_test_seeds 1 -generate_duration 2)
run() { local log="$1"; shift; "$@" > "$log" 2>&1 || { cat "$log"; echo "FAIL: $*"; exit 1; }; }
run "$dir/g8.log" "$@" generate "${common[@]}" -output_dir "$dir/r8" -truth_fisher_n 208 \
  -truth_fisher_dx 0.005 -truth_fisher_ic_center 0.4975 -truth_ts_dt 1e-3
run "$dir/g16.log" "$@" generate "${common[@]}" -output_dir "$dir/r16" -truth_fisher_n 416 \
  -truth_fisher_dx 0.0025 -truth_fisher_ic_center 0.49875 -truth_ts_dt 2.5e-4
run "$dir/g32.log" "$@" generate "${common[@]}" -output_dir "$dir/r32"
# any model will do: evaluate's classical baseline does not depend on it
run "$dir/train.log" "$@" train "${common[@]}" -output_dir "$dir/r32" -train_iterations 1 -train_window 4
run "$dir/evaluate.log" "$@" evaluate "${common[@]}" -output_dir "$dir/r32"
/usr/bin/python3 - "$dir" <<'PY'
import sys
import h5py, numpy as np
d = sys.argv[1]
ok = True
def cells(path, traj):
    s = h5py.File(path, "r")[traj]["state"][:]
    return s.reshape(s.shape[0], 26, -1).mean(axis=2)
# 1. convergence of the truth's cell averages
for traj in ("traj_0000", "traj_0001"):
    c = {r: cells("%s/r%d/dataset.h5" % (d, r), traj) for r in (8, 16, 32)}
    d8, d16 = np.abs(c[8] - c[32]).mean(), np.abs(c[16] - c[32]).mean()
    ratio = d8 / d16
    e32 = d16 / 3  # e16 = 4 e32 and c16 - c32 = e16 - e32 for an h^2 error
    good = 4 <= ratio <= 6
    ok &= good
    print("%s: |c8-c32| %.3e, |c16-c32| %.3e, ratio %.2f (second order: 5; accepted 4-6): %s; "
          "32x truth error ~%.1e" % (traj, d8, d16, ratio, "ok" if good else "FAIL", e32))
# 2. the classical scheme in numpy against evaluate's classical baseline
D, r, dx, dt = 0.01, 1.0, 0.04, 0.025
f = lambda u: D * (np.roll(u, 1) - 2 * u + np.roll(u, -1)) / dx**2 + r * u * (1 - u)
ev = h5py.File(d + "/r32/evaluate.h5", "r")
data = h5py.File(d + "/r32/dataset.h5", "r")
truth = cells(d + "/r32/dataset.h5", "traj_0001")  # the held-out trajectory (test seed 1)
t = data["traj_0001"]["t"][:]
u, mae = truth[0].copy(), []
steps = int(round((t[1] - t[0]) / dt))
for k in range(1, len(t)):
    for _ in range(steps):
        k1 = f(u); k2 = f(u + dt / 2 * k1); k3 = f(u + dt / 2 * k2); k4 = f(u + dt * k3)
        u = u + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    mae.append(np.abs(u - truth[k]).mean())
mae = np.array(mae)
got = ev["test_1"]["classical_26"]["mae"][:]
rel = np.abs(got - mae).max() / mae.max()
good = got.shape == mae.shape and rel < 1e-9
ok &= good
print("classical 26-cell scheme: numpy MAE %s; evaluate %s; largest relative difference %.1e: %s"
      % (np.array2string(mae, precision=4), np.array2string(got, precision=4), rel, "ok" if good else "FAIL"))
good = e32 < 0.01 * mae.mean()
ok &= good
print("32x truth error ~%.1e against the classical scheme's mean MAE %.3e: %s"
      % (e32, mae.mean(), "ok (< 1%)" if good else "FAIL (not resolved)"))
sys.exit(0 if ok else 1)
PY
