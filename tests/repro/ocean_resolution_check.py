#!/usr/bin/env python3
"""scripts/docs/ocean_resolution.py --from on synthetic profiles.h5 files whose answer is known:
2 columns, an observable of 2 levels, the model at 2 levels (n2) and at 4 levels (n4); 8 hourly
snapshots (quarters at t = 2, 4, 6, 8 h), test_101 (interpolation) and test_201 (extrapolation).
At 4 levels the model's error is c_k on both fine levels of a coarse cell plus +-d within the pair
(which the averaging removes), so the observable's RMS is c_k/scale exactly; at 2 levels the file
records kpp_mse, which the script checks, and a wrong kpp_mse must stop it with an error."""

import os
import subprocess
import sys

import h5py
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "scripts", "docs", "ocean_resolution.py")
work = sys.argv[1]
scale = 0.5
t = 3600.0 * np.arange(1.0, 9.0)
# (levels, trajectory) -> error c_k of snapshot k (kelvin, on the observable)
law = {(2, 101): 1e-3 * np.arange(1.0, 9.0), (2, 201): 2e-3 * np.ones(8),
       (4, 101): 1e-4 * np.arange(1.0, 9.0) ** 2, (4, 201): 3e-4 * np.arange(8.0, 0.0, -1.0)}


def write(levels, bad_mse=False):
    d = os.path.join(work, "bad" if bad_mse else "ok", "n%d" % levels)
    os.makedirs(d, exist_ok=True)
    with h5py.File(os.path.join(d, "profiles.h5"), "w") as h5:
        h5.attrs["udeflow_options"] = np.bytes_("-ocean_extrapolation_seed 200 -ocean_nz %d" % levels)
        h5.attrs["grid"] = np.bytes_("%d,2,1" % levels)
        h5.attrs["scale"] = scale
        rng = np.random.default_rng(levels)
        for tr in (101, 201):
            c = law[(levels, tr)]
            truth = 15 + rng.standard_normal((8, 2 * levels))
            err = np.repeat(c[:, None], 2 * levels, axis=1)
            if levels == 4:  # +-d within each pair of fine levels: gone after averaging
                err += 0.05 * np.tile([1.0, -1.0], 4)[None, :]
            h5["test_%d/t" % tr] = t
            h5["test_%d/truth" % tr] = truth
            h5["test_%d/kpp" % tr] = truth + err
            if levels == 2:
                h5["test_%d/kpp_mse" % tr] = (c / scale) ** 2 * (1.5 if bad_mse else 1.0)


for bad in (False, True):
    write(2, bad)
    write(4, bad)
out = subprocess.run(["/usr/bin/python3", SCRIPT, "--from", os.path.join(work, "ok"), "--observable", "2"],
                     capture_output=True, text=True)
print(out.stdout + out.stderr)
assert out.returncode == 0, "ocean_resolution.py failed"
rows = {}
for line in out.stdout.splitlines():
    f = line.split()
    if len(f) >= 8 and f[0].isdigit():
        rows[(int(f[0]), f[1])] = [float(v) for v in f[2:]]
fails = []
for (levels, tr), c in law.items():
    kind = "interpolation" if tr < 200 else "extrapolation"
    rms = c / scale
    expect = [np.mean(rms ** 2), rms[7] / rms[1]] + [rms[q] for q in (1, 3, 5, 7)]
    got = rows.get((levels, kind))
    # growth is printed with two decimals, the rest with three significant digits
    if got is None or abs(got[1] - expect[1]) > 0.006 or not np.allclose(
            got[:1] + got[2:], expect[:1] + expect[2:], rtol=2e-3):
        fails.append("%d levels, %s: expected %s, got %s" % (levels, kind, expect, got))
bad = subprocess.run(["/usr/bin/python3", SCRIPT, "--from", os.path.join(work, "bad"), "--observable", "2"],
                     capture_output=True, text=True)
if bad.returncode == 0 or "differs from the file's kpp_mse" not in bad.stderr:
    fails.append("a wrong kpp_mse at the observable's levels was not reported: rc %d, %s"
                 % (bad.returncode, bad.stderr.strip()))
# End to end (with UDEFLOW CASE arguments): a tiny dataset, the script running udeflow evaluate
# at 32 and 64 levels; at 32 it checks its own MSE against evaluate's, and it must print both.
if len(sys.argv) >= 4:
    udeflow, case = sys.argv[2], sys.argv[3]
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    d = os.path.join(work, "e2e")
    os.makedirs(d, exist_ok=True)
    gen = subprocess.run([udeflow, "generate", "-options_file", case, "-output_dir", d],
                         capture_output=True, text=True, env=env)
    if gen.returncode != 0:
        fails.append("udeflow generate failed: " + gen.stdout[-500:] + gen.stderr[-500:])
    else:
        e2e = subprocess.run(["/usr/bin/python3", SCRIPT, "--dataset", os.path.join(d, "dataset.h5"), "--case",
                              case, "--udeflow", udeflow, "--np", "1", "--levels", "32,64"],
                             capture_output=True, text=True, env=env)
        print(e2e.stdout + e2e.stderr)
        lines = [l.split() for l in e2e.stdout.splitlines()]
        got = sorted((f[0], f[1]) for f in lines if len(f) >= 8 and f[0].isdigit())
        want = [(n, k) for n in ("32", "64") for k in ("extrapolation", "interpolation")]
        if e2e.returncode != 0 or got != want:
            fails.append("end to end: rc %d, rows %s" % (e2e.returncode, got))
        elif not all(float(f[2]) > 0 for f in lines if len(f) >= 8 and f[0].isdigit()):
            fails.append("end to end: a zero MSE (the K-profile scheme at 32 or 64 levels is not the truth)")
for f in fails:
    print("FAIL:", f)
sys.exit(1 if fails else 0)
