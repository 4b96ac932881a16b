#!/usr/bin/env python3
"""What error growth the truth's own physics has at finite resolution: the K-profile scheme (the
truth model, with the case's time step) at several level counts, every one judged on the same
observable, the truth averaged onto the model grid of the case (32 levels), on the held-out
trajectories of a report's dataset:

    /usr/bin/python3 scripts/docs/ocean_resolution.py [--dataset results/ocean_column/seed1/dataset.h5]
        [--levels 32,64,128] [--observable 32] [--case cases/ocean_column.yaml]
        [--udeflow build/udeflow] [--np 2] [--work DIR]
    /usr/bin/python3 scripts/docs/ocean_resolution.py --from DIR [--observable 32]

For each level count L it runs `udeflow evaluate -ocean_nz L` with the one model
kpp:none:ocean_scheme=kpp:snes_type=ksponly (as the case's own kpp baseline) into DIR/nL (a
temporary directory unless --work is given), then averages the model's and the truth's profiles
(both at L levels in DIR/nL/profiles.h5) onto the observable's levels and prints, per kind of
held-out forcing (interpolation: seeds below -ocean_extrapolation_seed, read from the file's
options; extrapolation: the others):
  * the scaled MSE ((T - truth)/scale)^2 over the horizon and the cells, mean over the kind;
  * growth, RMS at the end / at the first quarter of the horizon (evaluate's definition), the
    largest over the kind's trajectories;
  * the RMS at each quarter, mean over the kind.
At L equal to the observable the figures are evaluate's own; the script checks that its MSE
matches the kpp_mse the file records there (relative 1e-9) and stops if not.  --from DIR reads
existing DIR/n*/profiles.h5 files instead of running udeflow.
docs/results.md quotes its output (issue 13, ocean stability).
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ocean_growth import index_at  # noqa: E402  (the quarter snapshots as evaluate picks them)

MODEL = "kpp"


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def analyse(path, observable):
    """(levels, {kind: dict}) of one profiles.h5 on the observable's levels."""
    with h5py.File(path, "r") as h5:
        nz, nx, ny = (int(v) for v in text(h5.attrs["grid"]).split(","))
        if nz % observable:
            sys.exit("ocean_resolution.py: error: %s has %d levels, not a multiple of --observable %d"
                     % (path, nz, observable))
        r = nz // observable
        scale = float(h5.attrs.get("scale", 1.0))
        m = re.search(r"-ocean_extrapolation_seed (\d+)", text(h5.attrs.get("udeflow_options", "")))
        extra_from = int(m.group(1)) if m else 200
        kinds = {"interpolation": [], "extrapolation": []}
        tests = sorted(k for k in h5 if k.startswith("test_"))
        if not tests:
            sys.exit("ocean_resolution.py: error: %s has no test_* groups" % path)
        for tr in tests:
            g = h5[tr]
            if MODEL not in g or "truth" not in g:
                sys.exit("ocean_resolution.py: error: %s lacks %s/%s or %s/truth" % (path, tr, MODEL, tr))
            T, M = g["truth"][:], g[MODEL][:]
            cg = lambda A: A.reshape(A.shape[0], nx * ny, observable, r).mean(axis=3)
            mse = (((cg(M) - cg(T)) / scale) ** 2).reshape(T.shape[0], -1).mean(axis=1)
            if r == 1 and MODEL + "_mse" in g:
                ref = g[MODEL + "_mse"][:]
                if not np.allclose(mse, ref, rtol=1e-9, atol=0):
                    sys.exit("ocean_resolution.py: error: %s/%s: the MSE on %d levels (%.6e) differs from "
                             "the file's %s_mse (%.6e)" % (path, tr, nz, mse.mean(), MODEL, ref.mean()))
            t = g["t"][:]
            t0 = t[0] - (t[1] - t[0]) if len(t) > 1 else 0.0
            quarters = [index_at(t, t0, 0.25 * k) for k in (1, 2, 3, 4)]
            rms = np.sqrt(mse[quarters])
            kind = "interpolation" if int(tr.split("_")[1]) < extra_from else "extrapolation"
            kinds[kind].append({"mse": mse.mean(), "rms": rms,
                                "growth": rms[-1] / rms[0] if rms[0] > 0 else float("nan")})
    return nz, kinds


def run(a, work):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_hwloc_base_binding_policy="none")
    for L in a.levels:
        out = os.path.join(work, "n%d" % L)
        os.makedirs(out, exist_ok=True)
        cmd = ["mpiexec", "--bind-to", "none", "--oversubscribe", "-n", str(a.np), a.udeflow, "evaluate",
               "-options_file", a.case, "-output_dir", out, "-dataset", a.dataset, "-ocean_nz", str(L),
               "-closure_type", "none", "-evaluate_models", MODEL + ":none:ocean_scheme=kpp:snes_type=ksponly"]
        with open(os.path.join(out, "evaluate.log"), "w") as log:
            rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        if rc != 0:
            sys.exit("ocean_resolution.py: error: udeflow evaluate at %d levels failed (exit %d); see %s"
                     % (L, rc, os.path.join(out, "evaluate.log")))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="results/ocean_column/seed1/dataset.h5")
    ap.add_argument("--levels", default="32,64,128")
    ap.add_argument("--observable", type=int, default=32, help="levels of the observable (default 32)")
    ap.add_argument("--case", default="cases/ocean_column.yaml")
    ap.add_argument("--udeflow", default="build/udeflow")
    ap.add_argument("--np", type=int, default=2)
    ap.add_argument("--work", help="keep the evaluate runs here (default: a temporary directory)")
    ap.add_argument("--from", dest="source", help="read DIR/n*/profiles.h5 instead of running udeflow")
    a = ap.parse_args()
    try:
        a.levels = [int(v) for v in a.levels.split(",") if v]
    except ValueError:
        sys.exit("ocean_resolution.py: error: --levels %s: expected level counts like 32,64,128" % a.levels)
    tmp = None
    if a.source:
        files = glob.glob(os.path.join(a.source, "n*", "profiles.h5"))
        if not files:
            sys.exit("ocean_resolution.py: error: no %s/n*/profiles.h5" % a.source)
    else:
        for path, what in ((a.dataset, "--dataset"), (a.case, "--case"), (a.udeflow, "--udeflow")):
            if not os.path.isfile(path):
                sys.exit("ocean_resolution.py: error: %s %s: no such file" % (what, path))
        a.dataset = os.path.abspath(a.dataset)
        work = a.work or tempfile.mkdtemp(prefix="ocean_resolution.")
        tmp = None if a.work else work
        try:
            run(a, work)
        except BaseException:
            if tmp:
                shutil.rmtree(tmp, ignore_errors=True)
            raise
        files = [os.path.join(work, "n%d" % L, "profiles.h5") for L in a.levels]
    rows = sorted(analyse(f, a.observable) for f in files)
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    print("K-profile scheme (the truth's physics, the case's time step) on the %d-level observable:" % a.observable)
    print("  %-7s %-14s %11s %8s   %s" % ("levels", "kind", "scaled MSE", "growth", "RMS at quarters 1-4"))
    for nz, kinds in rows:
        for kind, items in kinds.items():
            if not items:
                continue
            print("  %-7d %-14s %11.3e %8.2f   %s" % (
                nz, kind, np.mean([i["mse"] for i in items]), max(i["growth"] for i in items),
                "  ".join("%.2e" % v for v in np.mean([i["rms"] for i in items], axis=0))))


if __name__ == "__main__":
    main()
