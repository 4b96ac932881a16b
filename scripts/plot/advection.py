#!/usr/bin/python3
"""Figures of an advection case (cases/advection.yaml, cases/advection_2d.yaml).

  /usr/bin/python3 scripts/plot/advection.py results/advection [-o figure.png] [--traj test_101]

Reads <dir>/evaluate.h5 (predictions of the learned and fixed limiters, the learned
phi(r)), <dir>/dataset.h5 (the exact truth) and, if present, <dir>/diagnose.h5 (downwind
growth and reversal errors).  Panels: final-time profiles of the truth and every limiter
at the training resolution (2-D: the middle row), the Sweby diagram with the learned
phi(r), the error of each limiter over time, and the diagnostics.  Writes a PNG
(default <dir>/advection.png).  Exit code 77 when matplotlib or h5py is missing.
"""
import argparse
import os
import sys

try:
    import h5py
    import numpy as np
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError as e:  # the ctest treats 77 as "skipped"
    print(f"advection.py: {e}; skipping (needs numpy, h5py and matplotlib)")
    sys.exit(77)

from plotutil import require  # noqa: E402

COLORS = {"learned": "C3", "minmod": "C0", "superbee": "C1", "vanleer": "C2", "mc": "C4"}


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def cells_of(label):
    return int(np.prod([int(c) for c in label.split("x")]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("-o", "--output")
    ap.add_argument("--traj", help="test trajectory to show (default: the first)")
    a = ap.parse_args()
    out = a.output or os.path.join(a.dir, "advection.png")
    ds = h5py.File(require(os.path.join(a.dir, "dataset.h5"), "udeflow generate"), "r")
    ev = h5py.File(require(os.path.join(a.dir, "evaluate.h5"), "udeflow evaluate"), "r")
    grid = [int(g) for g in text(ds.attrs["grid"]).split(",")]
    trajs = sorted(k for k in ev.keys() if k != "limiter")
    name = a.traj or trajs[0]
    groups = list(ev[name].keys())
    resolutions = sorted({g.split("_", 1)[1] for g in groups}, key=cells_of)
    res = resolutions[len(resolutions) // 2]  # the training resolution (factors 0.5, 1, 2)
    labels = [g.split("_", 1)[0] for g in groups if g.endswith("_" + res)]
    labels.sort(key=lambda l: (l != "learned", l))
    shape = [int(c) for c in res.split("x")]

    truth = None
    for k in ds.keys():
        if text(ds[k].attrs.get("name", "")) == name:
            truth = ds[k]["state"][-1]
    diag_path = os.path.join(a.dir, "diagnose.h5")
    diag = h5py.File(diag_path, "r") if os.path.exists(diag_path) else None

    ncols = 4 if diag is not None else 3
    fig, ax = plt.subplots(1, ncols, figsize=(5 * ncols, 4.2))
    # 1. Profiles at the final time.
    if truth is not None:
        if len(grid) == 1:
            x = (np.arange(grid[0]) + 0.5) / grid[0]
            ax[0].step(x, truth, where="mid", color="k", lw=1.2, label="exact")
        else:
            t2 = truth.reshape(grid[1], grid[0])
            ax[0].step((np.arange(grid[0]) + 0.5) / grid[0], t2[grid[1] // 2], where="mid", color="k", lw=1.2,
                       label="exact (middle row)")
    for l in labels:
        s = ev[name][f"{l}_{res}"]["state"][-1]
        if len(shape) == 2:
            s = s.reshape(shape[1], shape[0])[shape[1] // 2]
        x = (np.arange(shape[0]) + 0.5) / shape[0]
        ax[0].plot(x, s, ".-", ms=3, lw=0.8, color=COLORS.get(l), label=l)
    tf = ev[name][f"{labels[0]}_{res}"]["t"][-1]
    ax[0].set_title(f"{name}, t = {tf:.2f}, {res} cells")
    ax[0].set_xlabel("x")
    ax[0].legend(fontsize=8)

    # 2. Sweby diagram.
    r = np.linspace(-1, 4, 501)
    ax[1].fill_between(r, 0, np.clip(np.minimum(2 * r, 2), 0, None), color="0.92", label="TVD region")
    if "limiter" in ev:
        lim = ev["limiter"]
        rr = lim["r"][:]
        ax[1].fill_between(rr, lim["minmod"][:], lim["superbee"][:], color="0.8", label="minmod..superbee")
        for k in ("minmod", "superbee", "vanleer", "mc"):
            ax[1].plot(rr, lim[k][:], lw=1, color=COLORS[k], label=k)
        small = "learned_small_jump" in lim
        ax[1].plot(rr, lim["learned"][:], lw=2.2, color=COLORS["learned"],
                   label="learned (large jump)" if small else "learned")
        if small:
            ax[1].plot(rr, lim["learned_small_jump"][:], lw=2.2, ls="--", color="C5", label="learned (small jump)")
    ax[1].set_xlim(-1, 4)
    ax[1].set_ylim(-0.1, 2.3)
    ax[1].set_xlabel("r")
    ax[1].set_ylabel("phi(r)")
    ax[1].set_title("Sweby diagram")
    ax[1].legend(fontsize=7, loc="lower right")

    # 3. Error over time at every resolution (learned solid, fixed dashed).
    for rs in resolutions:
        for l in labels:
            g = f"{l}_{rs}"
            if g in ev[name]:
                ax[2].semilogy(ev[name][g]["t"][:], ev[name][g]["mae"][:], "-" if l == "learned" else "--",
                               color=COLORS.get(l), lw=1.8 if rs == res else 0.8,
                               label=f"{l}" if rs == res else None)
    ax[2].set_xlabel("t")
    ax[2].set_title(f"mean abs. error (thick: {res}; thin: {', '.join(x for x in resolutions if x != res)})")
    ax[2].legend(fontsize=7)

    # 4. Diagnostics.
    if diag is not None:
        if "reversal_t" in diag:
            ax[3].semilogy(diag["reversal_t"][:], diag["reversal_advection"][:], "o-", label="advection: reversal error")
        if "burgers_t" in diag:
            ax[3].semilogy(diag["burgers_t"][:] / diag["burgers_t"][-1] * diag["reversal_t"][-1],
                           diag["reversal_burgers"][:], "s-", label="burgers (time rescaled)")
        ax[3].set_xlabel("t (backward solve runs right to left)")
        g = diag.attrs.get("growth_measured", float("nan"))
        th = diag.attrs.get("growth_discrete", float("nan"))
        ax[3].set_title(f"reversal; downwind growth {g:.1f} (theory {th:.1f})")
        ax[3].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"advection.py: wrote {out}")


if __name__ == "__main__":
    main()
