#!/usr/bin/env python3
"""Profiles over time for the ocean-column case: truth (coarse-grained K-profile model),
convective adjustment alone, the offline and the online network.

Usage: /usr/bin/python3 scripts/plot/ocean_column.py <output_dir> [column]
Reads <output_dir>/profiles.h5 (written by `udeflow evaluate -evaluate_models ...`);
writes <output_dir>/ocean_column_<trajectory>.png per held-out trajectory: temperature
profiles of one column at four times, and the scaled-temperature MSE over time; and
<output_dir>/ocean_column_error_growth.png: every model's RMS error against time on log-log
axes, all trajectories, with the slope b of a least-squares fit of log RMS = a + b log t
over the last three quarters of the horizon (from the first snapshot at or after a quarter
of it, the reference of evaluate's "error growth" figure), printed as a table with that
growth.  b ~ 1
is a linear drift (a biased flux integrated in time), b ~ 0 a bounded error; an instability
grows faster than any power and bends upward on these axes.
"""
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from plotutil import require  # noqa: E402


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    column = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    path = os.path.join(out, "profiles.h5")
    with h5py.File(require(path, "udeflow evaluate -evaluate_models ..."), "r") as f:
        models = f.attrs["models"]
        models = (models.decode() if isinstance(models, bytes) else str(models)).split(",")
        z = f["z"][:]
        nz = len(z)
        styles = {"truth": dict(color="k", lw=2.5, alpha=0.5)}
        colors = ["tab:red", "tab:orange", "tab:blue", "tab:green", "tab:purple"]
        written = []
        for traj in sorted(k for k in f.keys() if isinstance(f[k], h5py.Group)):
            g = f[traj]
            t = g["t"][:] / 3600.0
            nt = len(t)
            picks = sorted(set([0, nt // 3, (2 * nt) // 3, nt - 1]))
            fig, axes = plt.subplots(1, len(picks) + 1, figsize=(3.2 * (len(picks) + 1), 4.2))
            for ax, k in zip(axes, picks):
                truth = g["truth"][k].reshape(-1, nz)[column]
                ax.plot(truth, z, label="truth (KPP, 256 levels, coarse-grained)", **styles["truth"])
                for i, m in enumerate(models):
                    if m in g:
                        prof = g[m][k].reshape(-1, nz)[column]
                        if np.all(np.isfinite(prof)):
                            ax.plot(prof, z, color=colors[i % len(colors)], lw=1.2, label=m)
                ax.set_title("t = %.0f h" % t[k])
                ax.set_xlabel("T (degC)")
                # The boundary layer lives in the upper part of the column.
                top = z > -0.45 * (z[-1] - z[0] + (z[1] - z[0]))
                lo = min(np.min(g["truth"][k].reshape(-1, nz)[column][top]), np.min(truth[top]))
                ax.set_ylim(z[top][0], 0)
                ax.set_xlim(lo - 0.02, np.max(truth) + 0.02)
            axes[0].set_ylabel("z (m)")
            axes[0].legend(fontsize=7, loc="lower right")
            ax = axes[-1]
            for i, m in enumerate(models):
                if m + "_mse" in g:
                    e = g[m + "_mse"][:]
                    ax.semilogy(t[: len(e)], np.maximum(e, 1e-16), color=colors[i % len(colors)], label=m)
            ax.set_xlabel("t (h)")
            ax.set_title("scaled-T MSE (all columns)")
            ax.legend(fontsize=7)
            fig.suptitle("%s, column %d" % (traj, column))
            fig.tight_layout()
            png = os.path.join(out, "ocean_column_%s.png" % traj)
            fig.savefig(png, dpi=110)
            plt.close(fig)
            written.append(png)
        written.append(error_growth(f, models, colors, out))
    for p in written:
        print("wrote", p)


def error_growth(f, models, colors, out):
    """The log-log error-growth figure and the table of fitted slopes (see the docstring)."""
    trajs = sorted(k for k in f.keys() if isinstance(f[k], h5py.Group))
    # At most 4 panels a row (the case has 8 held-out trajectories).
    ncol = min(4, len(trajs))
    nrow = (len(trajs) + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.4 * ncol, 3.2 * nrow + 0.4), sharey=True,
                             squeeze=False)
    for ax in axes.flat[len(trajs):]:
        ax.set_visible(False)
    left = [row[0] for row in axes]
    axes = axes.flatten()
    print("RMS error growth over t >= a quarter of the horizon: slope b of log RMS vs log t "
          "(growth = RMS at the end / at the quarter)")
    print("%-10s %s" % ("trajectory", "  ".join("%-20s" % m for m in models)))
    for ax, traj in zip(axes, trajs):
        g = f[traj]
        t = g["t"][:]
        # The first snapshot at or after a quarter of the horizon (runs start at t = 0), the
        # reference of evaluate's "error growth" figure.
        q = int(np.searchsorted(t, 0.25 * t[-1] * (1 - 1e-12)))
        row = []
        for i, m in enumerate(models):
            if m + "_mse" not in g:
                row.append("%-20s" % "-")
                continue
            rms = np.sqrt(np.maximum(g[m + "_mse"][:], 1e-32))
            n = min(len(rms), len(t))
            if n <= q + 2 or not np.all(np.isfinite(rms[q:n])):
                row.append("%-20s" % "not finite")
                continue
            b = np.polyfit(np.log(t[q:n]), np.log(rms[q:n]), 1)[0]
            row.append("%-20s" % ("b %.2f, growth %.2f" % (b, rms[n - 1] / rms[q])))
            ax.loglog(t[:n] / 86400.0, rms[:n], color=colors[i % len(colors)],
                      label="%s (b %.2f)" % (m, b))
        ax.axvline(t[q] / 86400.0, color="0.6", lw=0.8, ls=":")
        ax.set_title(traj)
        ax.set_xlabel("t (days)")
        ax.legend(fontsize=7)
        print("%-10s %s" % (traj, "  ".join(row)))
    for ax in left:
        ax.set_ylabel("RMS scaled-T error (all columns)")
    fig.suptitle("RMS error vs time; b: slope of log RMS vs log t right of the dotted line (a quarter of the horizon)")
    fig.tight_layout()
    png = os.path.join(out, "ocean_column_error_growth.png")
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return png


if __name__ == "__main__":
    main()
