#!/usr/bin/env python3
"""Where a Burgers closure gains or loses against a baseline, by horizon and by forcing,
from the evaluate.h5 files of a report's seeds (scripts/reproduce.sh burgers):

    /usr/bin/python3 scripts/docs/burgers_horizon.py [results/burgers] [--seeds 1,2,3]
        [--closure closure_64] [--baseline weno5_256]

Prints the ratio of the mean errors (closure / baseline, both on the closure's grid, over
all held-out forcings and seeds) over [0, t] for several t, and per forcing the mean ratio
over the seeds with the baseline's error, and the spread and correlation of the two
models' per-forcing errors.  docs/results.md quotes its output for the 2026-12-05 report.
"""
import argparse
import os
import sys

import h5py
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", nargs="?", default="results/burgers")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--closure", default="closure_64")
    ap.add_argument("--baseline", default="weno5_256")
    a = ap.parse_args()
    files = [os.path.join(a.dir, "seed%s" % s, "evaluate.h5") for s in a.seeds.split(",")]
    for f in files:
        if not os.path.isfile(f):
            sys.exit("burgers_horizon.py: error: no file %s (run scripts/reproduce.sh burgers)" % f)
    h5 = [h5py.File(f, "r") for f in files]
    tests = sorted(k for k in h5[0] if k.startswith("test_"))
    for f, name in zip(h5, files):
        for t in tests:
            if t not in f or a.closure not in f[t] or a.baseline not in f[t]:
                sys.exit("burgers_horizon.py: error: %s lacks %s/%s or %s/%s" % (name, t, a.closure, t, a.baseline))
    base_key = "mae_closure_grid" if "mae_closure_grid" in h5[0][tests[0]][a.baseline] else "mae"
    c = np.array([[f[t][a.closure]["mae"][:] for t in tests] for f in h5])  # seeds x tests x snapshots
    b = np.array([[f[t][a.baseline][base_key][:] for t in tests] for f in h5])
    times = h5[0][tests[0]][a.closure]["t"][:]
    times = times - times[0]
    ec, eb = c.mean(axis=(0, 1)), b.mean(axis=(0, 1))
    print("%s / %s, %d seeds x %d held-out forcings (MAE on the closure's grid)" % (
        a.closure, a.baseline, len(h5), len(tests)))
    print("  ratio of the mean errors over [0, t]:")
    shown = sorted({min(int(np.searchsorted(times, T - 1e-9)), len(times) - 1)
                    for T in (0.25, 0.5, 1, 2, 5, 10, times[-1])})
    for i in shown:
        print("    t = %6.2f: %.2f   (at t: closure %.2e, baseline %.2e)" % (
            times[i], ec[:i + 1].mean() / eb[:i + 1].mean(), ec[i], eb[i]))
    cf, bf = c.mean(axis=2), b.mean(axis=2)  # seeds x tests
    ratio = (cf / bf).mean(axis=0)
    print("  per forcing (ratio: mean over seeds):")
    for k, t in enumerate(tests):
        print("    %-9s ratio %.2f  baseline MAE %.2e  closure MAE %.2e" % (t, ratio[k], bf[0, k], cf[:, k].mean()))
    C, B = cf.mean(axis=0), bf[0]
    print("  closure MAE per forcing: mean %.3e, coefficient of variation %.2f; baseline: mean %.3e, "
          "cv %.2f; correlation %.2f; correlation of the ratio with the baseline's MAE %.2f" % (
              C.mean(), C.std(ddof=1) / C.mean(), B.mean(), B.std(ddof=1) / B.mean(),
              np.corrcoef(C, B)[0, 1], np.corrcoef(ratio, B)[0, 1]))


if __name__ == "__main__":
    main()
