#!/usr/bin/python3
"""Training history of `udeflow train` (train_history.csv, written with every checkpoint).

    /usr/bin/python3 scripts/plot/loss_history.py results/burgers [more dirs or csv files] -o loss.png

Top: the training loss (mean over the windows of each batch) against the iteration, with
a running median; dotted vertical lines where the window grows.  Bottom: the gradient
norm and the learning rate.
"""
import argparse
import csv
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def read(path):
    if os.path.isdir(path):
        path = os.path.join(path, "train_history.csv")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))  # "#": provenance
    if not rows:
        raise SystemExit(f"{path}: empty history")
    cols = {}
    for k in rows[0]:
        try:
            cols[k] = np.array([float(r[k]) for r in rows])
        except ValueError:  # text columns (phase: adam | lbfgs)
            cols[k] = np.array([r[k] for r in rows])
    return path, cols


def running_median(y, n):
    if len(y) < n:
        return y
    return np.array([np.median(y[max(0, i - n + 1):i + 1]) for i in range(len(y))])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("histories", nargs="+", help="output directories or train_history.csv files")
    p.add_argument("-o", "--output", default=None, help="PNG (default: <first dir>/loss_history.png)")
    a = p.parse_args()
    fig, (ax0, ax1) = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True)
    out = a.output
    for spec in a.histories:
        path, h = read(spec)
        out = out or os.path.join(os.path.dirname(path), "loss_history.png")
        label = os.path.basename(os.path.dirname(os.path.abspath(path)))
        it = h["iteration"]
        line = ax0.semilogy(it, h["loss"], lw=0.6, alpha=0.5)[0]
        ax0.semilogy(it, running_median(h["loss"], 25), color=line.get_color(), lw=1.8, label=label)
        for i in np.nonzero(np.diff(h["window"]))[0]:
            ax0.axvline(it[i + 1], color=line.get_color(), ls=":", lw=0.7)
        ax1.semilogy(it, h["grad_norm"], color=line.get_color(), lw=0.8, label=f"{label}: |grad|")
        ax1.semilogy(it, h["lr"], color=line.get_color(), ls="--", lw=1.0, label=f"{label}: learning rate")
    ax0.set_ylabel("training loss (running median)")
    ax1.set_ylabel("gradient norm, learning rate")
    ax1.set_xlabel("iteration")
    for ax in (ax0, ax1):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print("wrote", out)


if __name__ == "__main__":
    main()
