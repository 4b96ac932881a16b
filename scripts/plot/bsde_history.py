#!/usr/bin/env python3
"""Plot deep BSDE training histories written by `udeflow bsde` (bsde_history.csv).

    /usr/bin/python3 scripts/plot/bsde_history.py results/hjb100/bsde_history.csv [more.csv ...] -o bsde.png

Left: relative error of u(0,x0) against wall time, with the error of the trivial answer
E[g(X_T)] as a dashed line (a run has learned the PDE only below it).  Middle: u(0,x0)
against the iteration with the reference value (solid) and the trivial answer (dashed)
when the history has them.  Right: the validation loss against the iteration.
"""
import argparse
import csv
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))  # "#": provenance
    return {k: [float(r[k]) for r in rows] for k in rows[0]} if rows else None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("histories", nargs="+")
    p.add_argument("-o", "--output", default="bsde_history.png")
    a = p.parse_args()
    fig, (ax0, axu, ax1) = plt.subplots(1, 3, figsize=(16, 4))
    for path in a.histories:
        h = read(path)
        if h is None:
            continue
        label = os.path.basename(os.path.dirname(os.path.abspath(path))) or path
        line = ax0.semilogy(h["seconds"], h["rel_err"], marker=".", label=label)[0]
        if h["trivial_err"] and h["trivial_err"][0] == h["trivial_err"][0]:  # not NaN
            ax0.axhline(h["trivial_err"][0], color=line.get_color(), ls="--", lw=0.8)
        ax1.semilogy(h["iteration"], h["valid_loss"], label=label)
        axu.plot(h["iteration"], h["u0"], marker=".", color=line.get_color(), label=label)
        if "reference" in h and h["reference"][0] == h["reference"][0]:
            axu.axhline(h["reference"][0], color="k", lw=1.0)
        if "trivial" in h:
            axu.axhline(h["trivial"][0], color=line.get_color(), ls="--", lw=0.8)
    ax0.set_xlabel("wall time [s]")
    ax0.set_ylabel("relative error of u(0,x0)  (dashed: trivial answer)")
    ax1.set_xlabel("iteration")
    ax1.set_ylabel("validation loss")
    axu.set_xlabel("iteration")
    axu.set_ylabel("u(0,x0)  (solid: reference, dashed: trivial answer)")
    for ax in (ax0, axu, ax1):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(a.output, dpi=120)
    print("wrote", a.output)


if __name__ == "__main__":
    main()
