#!/usr/bin/env python3
"""scripts/docs/ocean_growth.py on synthetic profiles.h5 files whose answer is known: 2 seeds x
(test_101 interpolation, test_201 extrapolation), 8 hourly snapshots, the model's RMS error
c t^b exactly and the baselines 3x, 5x, 10x it; with --depth, datasets whose columns have known
mixed-layer depths; and a missing seed named in the error."""

import os
import subprocess
import sys

import h5py
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "scripts", "docs", "ocean_growth.py")
work = sys.argv[1]
t = np.arange(1.0, 9.0)  # t0 = 0; quarters at t = 2, 4, 6, 8
# (seed, trajectory) -> (c, b) of rms = c t^b
law = {(1, 101): (1e-3, 0.5), (1, 201): (2e-3, 1.0), (2, 101): (1e-3, 0.0), (2, 201): (4e-3, 1.0)}
for s in (1, 2):
    d = os.path.join(work, "seed%d" % s)
    os.makedirs(d, exist_ok=True)
    with h5py.File(os.path.join(d, "profiles.h5"), "w") as h5:
        h5.attrs["udeflow_options"] = np.bytes_("-ocean_extrapolation_seed 200 -ocean_nz 32")
        h5.attrs["grid"] = np.bytes_("4,1,1")  # 4 levels, one column
        h5.attrs["scale"] = 0.5
        for tr in (101, 201):
            c, b = law[(s, tr)]
            rms = c * t ** b
            h5["test_%d/t" % tr] = t
            h5["test_%d/online_mse" % tr] = rms ** 2
            # profiles: error 0.5 c t^b (2, 0, 1, 1) by level, bottom first: the bottom two levels
            # hold 4/6 of the MSE at every snapshot, and without them the growth is the same
            h5["test_%d/truth" % tr] = np.ones((8, 4))
            h5["test_%d/online" % tr] = 1 + 0.5 * np.outer(rms, [2.0, 0.0, 1.0, 1.0])
            for name, k in (("ca", 5.0), ("kpp", 3.0), ("offline", 10.0)):
                h5["test_%d/%s_mse" % (tr, name)] = (k * rms) ** 2
# Datasets (8 cells of 1 m, one column, snapshots t = 0..8, quarters at t = 2, 4, 6, 8): the top m
# cells at the top cell's temperature, each one below 0.1 K colder than the one above.  Mixed
# cells m per quarter, per seed and trajectory:
depths = {(1, "train_1"): (1, 2, 2, 3), (2, "train_1"): (1, 1, 2, 4),
          (1, "test_101"): (1, 1, 2, 2), (2, "test_101"): (1, 1, 2, 2),
          (1, "test_201"): (2, 3, 4, 5), (2, "test_201"): (2, 3, 4, 5)}
for s in (1, 2):
    with h5py.File(os.path.join(work, "seed%d" % s, "dataset.h5"), "w") as h5:
        h5.attrs["grid"] = np.bytes_("8,1,1")
        h5.attrs["domain"] = np.bytes_("8,1,1")
        for i, name in enumerate(("train_1", "test_101", "test_201")):
            m = depths[(s, name)]
            state = np.empty((9, 8))
            for j in range(9):
                mixed = m[max(0, (j - 1) // 2)]
                below = np.arange(8 - mixed)[::-1] + 1  # bottom first: cells 1..8-m below the layer
                state[j] = np.concatenate([1.0 - 0.1 * below, np.ones(mixed)])
            h5["traj_%d/t" % i] = np.arange(9.0)
            h5["traj_%d/state" % i] = state
            h5["traj_%d" % i].attrs["name"] = np.bytes_(name)
out = subprocess.run(["/usr/bin/python3", SCRIPT, work, "--seeds", "1,2", "--depth"], capture_output=True, text=True)
print(out.stdout + out.stderr)
# interpolation: seed 1 sqrt(t) (growth (8/2)^0.5 = 2), seed 2 flat (1); RMS at t = 2, 4, 6, 8 the
# mean of 1e-3 sqrt(t) and 1e-3: 1.21e-3, 1.50e-3, 1.72e-3, 1.91e-3; extrapolation linear (growth 4).
want = ["interpolation (1 trajectories a seed)", "RMS at quarters 1-4: 1.21e-03", "1.50e-03", "1.72e-03",
        "1.91e-03", "per seed: 2.00 1.00; mean 1.50", "slope b of log RMS vs log t: 0.00 to 0.50",
        "per seed: 4.00 4.00; mean 4.00", "slope b of log RMS vs log t: 1.00 to 1.00",
        "(ca,kpp,offline): 3.00",
        "bottom two levels: 67% at quarter 1, 67% at the end; growth without them per seed: 2.00 1.00",
        "growth without them per seed: 4.00 4.00",
        # deepest training column per quarter over both seeds: 1 2 2 4; at the end seed 1's is 3 m,
        # seed 2's 4 m, so test_201 (2..5 m) is deeper at quarters 3-4 for seed 1, 4 for seed 2
        "training, deepest column: 1  2  2  4 m",
        "interpolation: mean 1.0  1.0  2.0  2.0 m; share deeper than the deepest training column at the end: 0%  0%  0%  0%",
        "extrapolation: mean 2.0  3.0  4.0  5.0 m; share deeper than the deepest training column at the end: 0%  0%  50%  100%"]
missing = [w for w in want if w not in out.stdout]
if out.returncode or missing:
    sys.exit("FAIL: ocean_growth.py output lacks %s" % missing)
bad = subprocess.run(["/usr/bin/python3", SCRIPT, work, "--seeds", "1,3"], capture_output=True, text=True)
if bad.returncode == 0 or "seed3/profiles.h5" not in bad.stderr:
    sys.exit("FAIL: a missing seed must be named: %s" % bad.stderr)
print("ok")
