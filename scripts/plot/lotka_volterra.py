#!/usr/bin/env python3
"""Figures of the Lotka-Volterra case from `udeflow discover` (discover.h5) and the
training loss histories (train_history.csv).

Usage: /usr/bin/python3 scripts/plot/lotka_volterra.py <output_dir> [-o fig.png]
       [--history label=path.csv ...]
Panels: data and the UDE fit; learned U vs the true interactions along the trajectory;
extrapolation to t = 50 of the recovered models; loss histories.
Exit code 77 when matplotlib or h5py is missing (ctest skips then).
"""
import argparse
import csv
import os
import sys

try:
    import h5py
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
except ImportError as e:  # pragma: no cover
    print(f"lotka_volterra.py: skipped ({e})")
    sys.exit(77)

from plotutil import require  # noqa: E402


def read_history(path):
    it, loss = [], []
    with open(path) as f:
        for row in csv.DictReader(line for line in f if not line.startswith("#")):  # "#": provenance
            it.append(int(row["iteration"]))
            loss.append(float(row["loss"]))
    return np.array(it), np.array(loss)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output_dir")
    ap.add_argument("-o", "--output", default=None)
    ap.add_argument("--history", action="append", default=[], help="label=path of a train_history.csv")
    a = ap.parse_args()
    path = os.path.join(a.output_dir, "discover.h5")
    f = h5py.File(require(path, "udeflow discover"), "r")
    fields = f.attrs["fields"]
    fields = (fields.decode() if isinstance(fields, bytes) else fields).split(",")
    fig, ax = plt.subplots(2, 2, figsize=(12, 8))
    td, Xd = f["data/t"][:], f["data/state"][:]
    ts, Xs = f["trajectory/t"][:], f["trajectory/state"][:]
    for i, name in enumerate(fields):
        ax[0, 0].plot(td, Xd[:, i], "o", ms=3, label=f"{name} data")
        ax[0, 0].plot(ts, Xs[:, i], "-", label=f"{name} trained UDE")
    ax[0, 0].set_xlabel("t")
    ax[0, 0].set_title("data and the trained UDE (U sampled on these points)")
    ax[0, 0].legend(fontsize=8)
    Ul, Ut = f["trajectory/U_learned"][:], f["trajectory/U_true"][:]
    for i in range(Ul.shape[1]):
        ax[0, 1].plot(ts, Ut[:, i], "-", label=f"U{i + 1} true")
        ax[0, 1].plot(ts, Ul[:, i], "--", label=f"U{i + 1} learned")
    ax[0, 1].set_xlabel("t")
    ax[0, 1].set_title("learned vs true missing terms along the trajectory")
    ax[0, 1].legend(fontsize=8)
    te = f["extrapolation/t"][:]
    ex = f["extrapolation"]
    ax[1, 0].plot(te, ex["truth"][:, 0], "k-", lw=1.5, label=f"{fields[0]} truth")
    ax[1, 0].plot(te, ex["recovered_learned"][:, 0], "r--", lw=1,
                  label=f"recovered (learned U), err {ex.attrs['error_learned']:.2g}")
    fd = ex["recovered_fd"][:, 0]
    ax[1, 0].plot(te, np.where(np.isfinite(fd), fd, np.nan), "b:", lw=1,
                  label=f"recovered (FD data), err {ex.attrs['error_fd']:.2g}")
    ax[1, 0].set_ylim(0, 2 * np.nanmax(ex["truth"][:, 0]))
    ax[1, 0].set_xlabel("t")
    ax[1, 0].set_title("extrapolation of the recovered models")
    ax[1, 0].legend(fontsize=8)
    hist = list(a.history)
    default = os.path.join(a.output_dir, "train_history.csv")
    if not hist and os.path.exists(default):
        hist = [f"train={default}"]
    for h in hist:
        label, p = h.split("=", 1)
        it, loss = read_history(p)
        ax[1, 1].semilogy(it, loss, label=label)
    ax[1, 1].set_xlabel("iteration")
    ax[1, 1].set_title("training loss")
    if hist:
        ax[1, 1].legend(fontsize=8)
    fig.tight_layout()
    out = a.output or os.path.join(a.output_dir, "lotka_volterra.png")
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
