#!/usr/bin/env python3
"""Where on the grid a Burgers closure gains or loses against its baselines: the error of
every model on the closure's grid, split by how steep the resolved truth is inside each
coarse cell, from a report's evaluate.h5 files and the dataset they were scored on:

    /usr/bin/python3 scripts/docs/burgers_smoothness.py [results/burgers] [--seeds 1,2,3]
        [--dataset FILE] [--models closure_64,weno5_64,weno5_128,weno5_256]
        [--jumps 0.0045,0.05] [--span T0,T1]

A cell's steepness is the largest jump |u_(i+1) - u_i| of the resolved truth between
neighbouring fine cells inside it (a viscous shock resolved on the fine grid gives jumps
of ~0.1-1, smooth flow ~1e-3).  The cells of every snapshot of every held-out forcing are
split at the --jumps thresholds; per class the script prints the fraction of cells, and
per model the mean absolute error on the closure's grid (models on finer grids averaged
onto it, the truth averaged onto it), the model's share of its own total error and the
ratio to the first model's.  --dataset defaults to <dir>/seed<first seed>/dataset.h5
(a report's seeds are scored on the same held-out data).  --span keeps the snapshots with
T0 < t - t_first <= T1 (t_first: the evaluation's initial time, the first snapshot's time
minus its spacing), e.g. 0,0.25 for the error the first 10 steps make.  docs/results.md
quotes it.
"""
import argparse
import os
import sys

import h5py
import numpy as np


def fail(msg):
    sys.exit("burgers_smoothness.py: error: " + msg)


def coarse(states, n):
    """Average the columns of states (snapshots x cells) onto n cells."""
    m = states.shape[1]
    if m % n:
        fail("a model on %d cells cannot be averaged onto %d" % (m, n))
    return states.reshape(states.shape[0], n, m // n).mean(axis=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", nargs="?", default="results/burgers")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--dataset", default=None)
    ap.add_argument("--models", default="closure_64,weno5_64,weno5_128,weno5_256")
    ap.add_argument("--jumps", default="0.0045,0.05")
    ap.add_argument("--span", default=None)
    a = ap.parse_args()
    seeds = a.seeds.split(",")
    models = a.models.split(",")
    try:
        edges = [0.0] + sorted(float(x) for x in a.jumps.split(",")) + [np.inf]
    except ValueError:
        fail("--jumps must be comma-separated numbers, got '%s'" % a.jumps)
    span = (-np.inf, np.inf)
    if a.span is not None:
        try:
            span = tuple(float(x) for x in a.span.split(","))
        except ValueError:
            span = ()
        if len(span) != 2 or not span[0] < span[1]:
            fail("--span must be T0,T1 with T0 < T1, got '%s'" % a.span)
    dataset = a.dataset or os.path.join(a.dir, "seed%s" % seeds[0], "dataset.h5")
    files = [os.path.join(a.dir, "seed%s" % s, "evaluate.h5") for s in seeds]
    for f in [dataset] + files:
        if not os.path.isfile(f):
            fail("no file %s (run scripts/reproduce.sh burgers)" % f)
    data = h5py.File(dataset, "r")
    truth_of = {data[k].attrs["name"].decode(): data[k] for k in data
                if "name" in data[k].attrs and data[k].attrs.get("split", b"") == b"test"}
    nclass = len(edges) - 1
    err = {m: np.zeros(nclass) for m in models}  # summed absolute error per class
    count = np.zeros(nclass)
    fine_of = {}  # each held-out forcing's resolved states, read once for all seeds
    for fname in files:
        ev = h5py.File(fname, "r")
        tests = sorted(k for k in ev if k.startswith("test_"))
        if not tests:
            fail("%s holds no held-out forcing" % fname)
        for t in tests:
            if t not in truth_of:
                fail("%s has %s, which %s lacks" % (fname, t, dataset))
            for m in models:
                if m not in ev[t]:
                    fail("%s lacks %s/%s" % (fname, t, m))
            g = truth_of[t]
            ttruth = g["t"][:]
            tmodel = ev[t][models[0]]["t"][:]
            idx = np.clip(np.searchsorted(ttruth, tmodel - 1e-9), 0, len(ttruth) - 1)
            if not np.allclose(ttruth[idx], tmodel, rtol=0, atol=1e-9):
                fail("the snapshots of %s/%s are not among the dataset's" % (fname, t))
            t_first = tmodel[0] - (tmodel[1] - tmodel[0] if len(tmodel) > 1 else 0.0)
            keep = (tmodel - t_first > span[0] + 1e-9) & (tmodel - t_first <= span[1] + 1e-9)
            if not keep.any():
                continue
            idx = idx[keep]
            if t not in fine_of:
                fine_of[t] = g["state"][:]
            fine = fine_of[t][idx]
            n = ev[t][models[0]]["state"].shape[1]
            truth = coarse(fine, n)
            jump = np.abs(np.roll(fine, -1, axis=1) - fine)  # periodic
            steep = jump.reshape(jump.shape[0], n, -1).max(axis=2)
            cls = np.digitize(steep, edges[1:-1])  # 0 .. nclass-1
            count += np.bincount(cls.ravel(), minlength=nclass)
            for m in models:
                e = np.abs(coarse(ev[t][m]["state"][:][keep], n) - truth)
                err[m] += np.bincount(cls.ravel(), weights=e.ravel(), minlength=nclass)
    if count.sum() == 0:
        fail("no snapshot in --span %s" % a.span)
    print("MAE on the closure's grid by the steepness of the truth in the cell (largest fine jump), "
          "%d seed(s), %d held-out forcings%s" % (len(files), len(tests),
                                                  "" if a.span is None else ", t - t_first in (%g, %g]" % span))
    names = ["[%g, %g)" % (lo, hi) for lo, hi in zip(edges[:-1], edges[1:])]
    print("  %-22s" % "jump in" + "".join("%20s" % s for s in names) + "%20s" % "all cells")
    print("  %-22s" % "fraction of cells" + "".join("%20.3f" % (c / count.sum()) for c in count) + "%20.3f" % 1)
    first = models[0]

    def row(label, values, fmt, total):
        cells = [("%20s" % "-") if c == 0 else (fmt % v) for v, c in zip(values, count)]
        print("  %-22s" % label + "".join(cells) + fmt % total)

    for m in models:
        row(m + " MAE", err[m] / np.maximum(count, 1), "%20.3e", err[m].sum() / count.sum())
        row("  share of its error", err[m] / err[m].sum(), "%20.2f", 1.0)
        if m != first:
            row("  %s / this" % first, err[first] / np.maximum(err[m], 1e-300), "%20.2f",
                err[first].sum() / err[m].sum())

if __name__ == "__main__":
    main()
