#!/usr/bin/python3
"""Figures of a Burgers case: error histories and space-time diagrams.

    /usr/bin/python3 scripts/plot/burgers.py results/burgers

Reads <dir>/evaluate.h5 and <dir>/dataset.h5 and writes <dir>/burgers_error.png and
<dir>/burgers_fields.png.
"""
import sys

import h5py
from plotutil import require  # noqa: E402
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def coarse(fine, n):
    r = fine.shape[-1] // n
    return fine.reshape(fine.shape[:-1] + (n, r)).mean(axis=-1)


def main(d):
    ds = h5py.File(require(f"{d}/dataset.h5", "udeflow generate"), "r")
    ev = h5py.File(require(f"{d}/evaluate.h5", "udeflow evaluate"), "r")
    trajs = sorted(ev.keys())
    fig, axes = plt.subplots(1, len(trajs), figsize=(5 * len(trajs), 3.6), squeeze=False)
    for ax, name in zip(axes[0], trajs):
        for model in sorted(ev[name].keys(), key=lambda m: (m.startswith("closure"), int(m.split("_")[-1]))):
            g = ev[name][model]
            scheme = model.rsplit("_", 1)[0]  # closure, baseline (the case's scheme) or e.g. weno5
            kind = {"closure": "learned closure", "baseline": "no closure"}.get(scheme, scheme + ", no closure")
            label = kind + f", {model.split('_')[-1]} cells"
            # The closure's observable: finer models averaged onto its grid.
            mae = g["mae_closure_grid"][:] if "mae_closure_grid" in g else g["mae"][:]
            ax.semilogy(g["t"][:], mae, lw=2.5 if model.startswith("closure") else 1.2,
                        ls="--" if scheme not in ("closure", "baseline") else "-", label=label)
        ax.set_title(name)
        ax.set_xlabel("t")
        ax.set_ylabel("MAE on the closure's grid")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(f"{d}/burgers_error.png", dpi=120)

    name = trajs[0]
    group = next(k for k in ds.keys() if ds[k].attrs["name"].decode() == name) if isinstance(
        ds[list(ds.keys())[0]].attrs["name"], bytes) else next(k for k in ds.keys() if ds[k].attrs["name"] == name)
    closure = [m for m in ev[name].keys() if m.startswith("closure")][0]
    n = int(closure.split("_")[-1])
    base = ev[name][f"baseline_{n}"]["state"][:] if f"baseline_{n}" in ev[name] else None
    truth = coarse(ds[group]["state"][1:1 + ev[name][closure]["state"].shape[0]], n)
    pred = ev[name][closure]["state"][:]
    t = ev[name][closure]["t"][:]
    panels = [("truth (coarse-grained)", truth), ("learned closure", pred)] + ([("no closure", base)] if base is not None else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.8), sharey=True)
    vmax = np.abs(truth).max()
    for ax, (title, f) in zip(axes, panels):
        im = ax.imshow(f, aspect="auto", origin="lower", cmap="RdBu_r", vmin=-vmax, vmax=vmax,
                       extent=[0, 2 * np.pi, t[0], t[-1]])
        ax.set_title(f"{title}, {n} cells")
        ax.set_xlabel("x")
    axes[0].set_ylabel("t")
    fig.colorbar(im, ax=axes, shrink=0.8, label="v")
    fig.savefig(f"{d}/burgers_fields.png", dpi=120)
    print(f"wrote {d}/burgers_error.png and {d}/burgers_fields.png")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "results/burgers")
