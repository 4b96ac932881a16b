#!/usr/bin/env python3
"""scripts/docs/burgers_horizon.py on synthetic evaluate.h5 files whose answer is known:
2 seeds x 2 forcings, 5 snapshots (numbers below), and a missing seed named in the error."""

import os
import subprocess
import sys

import h5py
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
work = sys.argv[1]
t = np.arange(5) * 0.5
for s in (1, 2):
    d = os.path.join(work, "seed%d" % s)
    os.makedirs(d, exist_ok=True)
    with h5py.File(os.path.join(d, "evaluate.h5"), "w") as h5:
        for k, scale in ((1, 1.0), (2, 2.0)):
            h5["test_%d/closure_64/mae" % k] = scale * np.ones(5)
            h5["test_%d/closure_64/t" % k] = t + 5
            # forcing 2: closure 2x, baseline 3x forcing 1's, so the ratios differ
            base = np.array([2, 2, 0.5, 0.5, 0.5]) * (1.0 if k == 1 else 1.5)
            h5["test_%d/weno5_256/mae_closure_grid" % k] = scale * base
out = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "docs", "burgers_horizon.py"), work,
                      "--seeds", "1,2"], capture_output=True, text=True)
print(out.stdout + out.stderr)
# closure errors 1 and 2 (mean 1.5 a snapshot); baseline 2, 2, 0.5, 0.5, 0.5 for forcing 1
# and 3x that for forcing 2 (mean 4, 4, 1, 1, 1): over [0, t] the ratios are 3/8 at t = 0.5,
# 4.5/9 at 1, 7.5/11 at 2 (t = 0.25 falls on the snapshot at 0.5); per forcing 1/1.1 and 2/3.3
want = ["t =   0.50: 0.38", "t =   1.00: 0.50", "t =   2.00: 0.68",
        "test_1    ratio 0.91", "test_2    ratio 0.61", "2 seeds x 2 held-out forcings"]
missing = [w for w in want if w not in out.stdout]
if out.returncode or missing:
    sys.exit("FAIL: burgers_horizon.py output lacks %s" % missing)
bad = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "docs", "burgers_horizon.py"), work,
                      "--seeds", "1,3"], capture_output=True, text=True)
if bad.returncode == 0 or "seed3/evaluate.h5" not in bad.stderr:
    sys.exit("FAIL: a missing seed must be named: %s" % bad.stderr)
print("ok")
