#!/usr/bin/env python3
"""scripts/docs/burgers_smoothness.py on a synthetic dataset and evaluate.h5 files whose
answer is known: one held-out forcing, 8 fine cells, a closure on 2 cells (one smooth, one
holding a jump of 0.5) and a baseline on 4 cells; a missing seed and snapshots the dataset
lacks are named in the error."""

import os
import subprocess
import sys

import h5py
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "scripts", "docs", "burgers_smoothness.py")
work = sys.argv[1]
os.makedirs(work, exist_ok=True)
# Fine truth: cell 0 (fine 0-3) rises by 0.001 a cell (largest jump 0.001: smooth); cell 1
# (fine 4-7) jumps by 0.496 and, through the periodic wrap, by 0.5 (steep).
fine = np.array([0, 0.001, 0.002, 0.003, 0.004, 0.5, 0.5, 0.5])
t = np.array([5.0, 5.5, 6.0])
with h5py.File(os.path.join(work, "dataset.h5"), "w") as h5:
    g = h5.create_group("traj_0000")
    g.attrs["name"], g.attrs["split"] = np.bytes_("test_1"), np.bytes_("test")
    g["state"] = np.tile(fine, (3, 1))
    g["t"] = t
    g = h5.create_group("traj_0001")  # a training trajectory: ignored
    g.attrs["name"], g.attrs["split"] = np.bytes_("train_1"), np.bytes_("train")
    g["state"] = np.zeros((3, 8))
    g["t"] = t


def coarse(v, n):
    return v.reshape(n, -1).mean(axis=1)


for s in (1, 2):
    d = os.path.join(work, "seed%d" % s)
    os.makedirs(d, exist_ok=True)
    with h5py.File(os.path.join(d, "evaluate.h5"), "w") as h5:
        # the evaluation's snapshots: the last two of the dataset
        # closure errors 0.01, 0.02 at t = 5.5 and 0.03, 0.06 at t = 6
        h5["test_1/closure_2/state"] = coarse(fine, 2) + np.array([[0.01, 0.02], [0.03, 0.06]])
        h5["test_1/closure_2/t"] = t[1:]
        h5["test_1/weno5_4/state"] = np.tile(coarse(fine, 4) + [0.002, 0.002, 0.04, 0.04], (2, 1))
        h5["test_1/weno5_4/t"] = t[1:]
cmd = ["/usr/bin/python3", SCRIPT, work, "--seeds", "1,2", "--models", "closure_2,weno5_4",
       "--dataset", os.path.join(work, "dataset.h5")]
out = subprocess.run(cmd, capture_output=True, text=True)
print(out.stdout + out.stderr)


def check(out, want, ratio_want, header):
    for key, values in want.items():
        got = [ln for ln in out.stdout.splitlines() if ln.strip().startswith(key)]
        if not got or got[0].split()[-4:] != values:
            sys.exit("FAIL: row '%s' should end with %s, got %s" % (key, values, got))
    ratio = [ln for ln in out.stdout.splitlines() if "closure_2 / this" in ln]
    if not ratio or ratio[0].split()[-4:] != ratio_want:
        sys.exit("FAIL: ratio row %s, want %s" % (ratio, ratio_want))
    if out.returncode or header not in out.stdout:
        sys.exit("FAIL: header or exit status (%d)" % out.returncode)


# smooth class: closure (0.01 + 0.03)/2, baseline 0.002 (ratio 10); steep: (0.02 + 0.06)/2
# and 0.04 (1); the middle class is empty; all cells 0.03 and 0.021 (1.43).
check(out, {"fraction of cells": ["0.500", "0.000", "0.500", "1.000"],
            "closure_2 MAE": ["2.000e-02", "-", "4.000e-02", "3.000e-02"],
            "weno5_4 MAE": ["2.000e-03", "-", "4.000e-02", "2.100e-02"]},
      ["10.00", "-", "1.00", "1.43"], "2 seed(s), 1 held-out forcings")
# --span 0,0.5: the first snapshot only (t_first = 5.5 - 0.5): 0.01 and 0.02 against 0.002
# and 0.04 (5, 0.5, all cells 0.015 / 0.021 = 0.71)
out = subprocess.run(cmd + ["--span", "0,0.5"], capture_output=True, text=True)
print(out.stdout + out.stderr)
check(out, {"closure_2 MAE": ["1.000e-02", "-", "2.000e-02", "1.500e-02"]},
      ["5.00", "-", "0.50", "0.71"], "t - t_first in (0, 0.5]")
for span in ("0.5,0", "x", "2,3"):
    bad = subprocess.run(cmd + ["--span", span], capture_output=True, text=True)
    if bad.returncode == 0 or "--span" not in bad.stderr:
        sys.exit("FAIL: --span %s must be refused naming the option: %s" % (span, bad.stderr))
bad = subprocess.run(cmd[:3] + ["--seeds", "1,3", "--dataset", os.path.join(work, "dataset.h5")], capture_output=True, text=True)
if bad.returncode == 0 or "seed3/evaluate.h5" not in bad.stderr:
    sys.exit("FAIL: a missing seed must be named: %s" % bad.stderr)
with h5py.File(os.path.join(work, "seed2", "evaluate.h5"), "a") as h5:
    del h5["test_1/closure_2/t"]
    h5["test_1/closure_2/t"] = t[1:] + 0.25
bad = subprocess.run(cmd, capture_output=True, text=True)
if bad.returncode == 0 or "seed2/evaluate.h5/test_1 are not among the dataset's" not in bad.stderr:
    sys.exit("FAIL: snapshots off the dataset's times must be named: %s" % bad.stderr)
print("ok")
