#!/usr/bin/env python3
"""How the ocean models' errors evolve after the first quarter of the horizon (day 1 of 4),
from the profiles.h5 files of a report's seeds (scripts/reproduce.sh ocean_column):

    /usr/bin/python3 scripts/docs/ocean_growth.py [results/ocean_column] [--seeds 1,2,3]
        [--model online] [--baselines ca,kpp,offline] [--depth] [--mld_dt 0.02]

Per kind of held-out forcing (interpolation: seeds below -ocean_extrapolation_seed, read from
the file's options; extrapolation: the others), for the model:
  * the RMS of the scaled error ((T - truth)/scale) at each quarter of the horizon, mean over
    the trajectories and seeds (and the sd of the seeds' means);
  * growth, RMS at the end / at the first quarter (the figure `udeflow evaluate` prints),
    largest over the kind's trajectories, per seed;
  * slope b of log RMS against log t from the first quarter on (b = 0: no growth, 1: linear),
    range over the kind's trajectories and seeds;
  * the smallest ratio baseline RMS / model RMS from the first quarter on, over the baselines,
    snapshots, trajectories and seeds (> 1: below every baseline throughout);
  * where the profiles are in the file: the share of the model's MSE in the bottom two levels at
    the first quarter and at the end (mean over trajectories and seeds), and the growth largest
    over the kind's trajectories per seed without those two levels.
With --depth, also where the held-out mixed layers are against the training ones, from the
seeds' dataset.h5 (the truth at its own resolution): the mixed-layer depth of every column at
each quarter (the depth of the upper face of the first cell, from the surface down, more than
--mld_dt kelvin colder than the top cell), the deepest over the training trajectories, the mean
per held-out kind, and the share of each kind's columns deeper than the deepest training column
reaches at the end of the horizon (mean over seeds).
docs/results.md quotes its output for the ocean reports (before 2026-12-06 the same figures
came from an uncommitted script).
"""
import argparse
import os
import re
import sys

import h5py
import numpy as np


def index_at(t, t0, frac):
    """First snapshot at or after frac of the horizon (frac 0.25: as evaluate_models.cpp)."""
    q = 0
    while q + 1 < len(t) and t[q] - t0 < frac * (t[-1] - t0):
        q += 1
    return q


def mixed_layer_depths(path, quarters_of, mld_dt):
    """{trajectory name: (quarters x columns) mixed-layer depths} from a dataset.h5."""
    out = {}
    with h5py.File(path, "r") as h5:
        nz = int(h5.attrs["grid"].decode().split(",")[0])
        dz = float(h5.attrs["domain"].decode().split(",")[0]) / nz
        for key in h5:
            g = h5[key]
            if "state" not in g:
                continue
            t = g["t"][:]
            rows = []
            for q in quarters_of(t, t[0]):  # only these snapshots are read
                S = g["state"][q].reshape(-1, nz)  # columns x levels (bottom first)
                colder = S < S[:, -1:] - mld_dt
                # cells from the top down until the first colder one (all nz if none is)
                rows.append([dz * (np.argmax(c[::-1]) if c.any() else nz) for c in colder])
            name = g.attrs["name"]
            out[name.decode() if isinstance(name, bytes) else str(name)] = np.array(rows)
    return out


def print_depths(dirs, extra_from, mld_dt):
    quarters_of = lambda t, t0: [index_at(t, t0, 0.25 * k) for k in (1, 2, 3, 4)]
    train, kinds = [], {"interpolation": [], "extrapolation": []}
    for d in dirs:
        path = os.path.join(d, "dataset.h5")
        if not os.path.isfile(path):
            sys.exit("ocean_growth.py: error: no file %s (--depth reads the seeds' datasets)" % path)
        h = mixed_layer_depths(path, quarters_of, mld_dt)
        train.append(np.concatenate([v for k, v in sorted(h.items()) if k.startswith("train")], axis=1))
        for k, v in sorted(h.items()):
            if k.startswith("test_"):
                kinds["interpolation" if int(k.split("_")[1]) < extra_from else "extrapolation"].append((len(train) - 1, v))
    deepest = [tr.max(axis=1) for tr in train]  # per seed's dataset, per quarter
    print("mixed-layer depth of the truth (first cell > %g K colder than the top cell), quarters 1-4:" % mld_dt)
    print("  training, deepest column: %s m" % "  ".join("%.0f" % v for v in np.max(deepest, axis=0)))
    for kind, items in kinds.items():
        if not items:
            continue
        mean = np.mean([v.mean(axis=1) for _, v in items], axis=0)
        share = np.mean([(v > deepest[i][-1]).mean(axis=1) for i, v in items], axis=0)
        print("  %s: mean %s m; share deeper than the deepest training column at the end: %s" % (
            kind, "  ".join("%.1f" % v for v in mean), "  ".join("%.0f%%" % (100 * v) for v in share)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", nargs="?", default="results/ocean_column")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--model", default="online")
    ap.add_argument("--baselines", default="ca,kpp,offline")
    ap.add_argument("--depth", action="store_true", help="mixed-layer depths from the seeds' dataset.h5")
    ap.add_argument("--mld_dt", type=float, default=0.02, help="mixed-layer criterion, kelvin (default 0.02)")
    a = ap.parse_args()
    seeds = a.seeds.split(",")
    files = [os.path.join(a.dir, "seed%s" % s, "profiles.h5") for s in seeds]
    for f in files:
        if not os.path.isfile(f):
            sys.exit("ocean_growth.py: error: no file %s (run scripts/reproduce.sh ocean_column)" % f)
    baselines = [b for b in a.baselines.split(",") if b]
    per_kind = {}  # kind -> list over seeds of list over trajectories of dict
    for f, name in zip(files, seeds):
        h5 = h5py.File(f, "r")
        opts = h5.attrs.get("udeflow_options", b"")
        opts = opts.decode() if isinstance(opts, bytes) else str(opts)
        m = re.search(r"-ocean_extrapolation_seed (\d+)", opts)
        extra_from = int(m.group(1)) if m else 200
        grid = h5.attrs.get("grid", b"")
        grid = grid.decode() if isinstance(grid, bytes) else str(grid)
        nz = int(grid.split(",")[0]) if grid else 0
        scale = float(h5.attrs.get("scale", 1.0))
        tests = sorted(k for k in h5 if k.startswith("test_"))
        if not tests:
            sys.exit("ocean_growth.py: error: %s has no test_* groups" % f)
        rows = {}
        for tr in tests:
            g = h5[tr]
            for key in [a.model] + baselines:
                if key + "_mse" not in g:
                    sys.exit("ocean_growth.py: error: %s lacks %s/%s_mse" % (f, tr, key))
            t = g["t"][:]
            t0 = t[0] - (t[1] - t[0]) if len(t) > 1 else 0.0
            q = index_at(t, t0, 0.25)
            rms = np.sqrt(g[a.model + "_mse"][:])
            quarters = [index_at(t, t0, 0.25 * k) for k in (1, 2, 3, 4)]
            b = np.polyfit(np.log(t[q:] - t0), np.log(rms[q:]), 1)[0] if len(t) - q >= 2 else float("nan")
            ratio = min(float(np.min(np.sqrt(g[base + "_mse"][q:]) / rms[q:])) for base in baselines) \
                if baselines else float("nan")
            kind = "interpolation" if int(tr.split("_")[1]) < extra_from else "extrapolation"
            row = {"rms": rms[quarters], "growth": rms[-1] / rms[q], "b": b, "ratio": ratio}
            if "truth" in g and a.model in g and nz > 2:
                e2 = ((g[a.model][:] - g["truth"][:]) / scale) ** 2
                e2 = e2.reshape(len(t), -1, nz)  # snapshots x columns x levels (bottom first)
                full, upper = e2.mean(axis=(1, 2)), e2[:, :, 2:].mean(axis=(1, 2))
                row["bottom"] = (1 - upper[q] * (nz - 2) / nz / full[q], 1 - upper[-1] * (nz - 2) / nz / full[-1])
                row["growth_upper"] = np.sqrt(upper[-1] / upper[q])
            rows.setdefault(kind, []).append(row)
        for kind, r in rows.items():
            per_kind.setdefault(kind, []).append(r)
    print("%s, %d seeds (%s): scaled RMS error after the first quarter of the horizon" % (
        a.model, len(files), ",".join(seeds)))
    for kind in ("interpolation", "extrapolation"):
        if kind not in per_kind:
            continue
        runs = per_kind[kind]
        seed_means = np.array([np.mean([r["rms"] for r in run], axis=0) for run in runs])  # seeds x 4
        sd = seed_means.std(axis=0, ddof=1) if len(runs) > 1 else np.zeros(4)
        growth = [max(r["growth"] for r in run) for run in runs]
        bs = [r["b"] for run in runs for r in run]
        ratio = min(r["ratio"] for run in runs for r in run)
        print("  %s (%d trajectories a seed):" % (kind, len(runs[0])))
        print("    RMS at quarters 1-4: %s" % "  ".join(
            "%.2e +- %.1e" % (m, s) for m, s in zip(seed_means.mean(axis=0), sd)))
        print("    growth (end / quarter 1, largest) per seed: %s; mean %.2f" % (
            " ".join("%.2f" % g for g in growth), np.mean(growth)))
        print("    slope b of log RMS vs log t: %.2f to %.2f" % (min(bs), max(bs)))
        if baselines:
            print("    smallest baseline / %s RMS ratio from quarter 1 on (%s): %.2f" % (
                a.model, ",".join(baselines), ratio))
        if all("bottom" in r for run in runs for r in run):
            sh = np.mean([r["bottom"] for run in runs for r in run], axis=0)
            print("    share of the MSE in the bottom two levels: %.0f%% at quarter 1, %.0f%% at the end; "
                  "growth without them per seed: %s" % (100 * sh[0], 100 * sh[1], " ".join(
                      "%.2f" % max(r["growth_upper"] for r in run) for run in runs)))
    if a.depth:
        print_depths([os.path.dirname(f) for f in files], extra_from, a.mld_dt)


if __name__ == "__main__":
    main()
