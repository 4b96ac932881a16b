#!/usr/bin/python3
"""Figures of a Fisher-KPP universal-PDE case.

    /usr/bin/python3 scripts/plot/fisher_kpp.py results/fisher_kpp

Reads <dir>/learned.h5 (written by `udeflow evaluate`), and when present
<dir>/evaluate.h5 + <dir>/dataset.h5 (1-D predictions vs truth) and <dir>/train.log, train_2.log, ...
(monitor lines "train <it> loss <value> ...": the loss history).  Writes
<dir>/fisher_kpp.png: learned reaction NN(rho) vs r rho(1-rho), the learned stencil,
the loss history, and the held-out predictions.
"""
import glob
import os
import re
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from plotutil import require  # noqa: E402


def monitor_lines(text):
    """The (iteration, loss) pairs of a train step's monitor lines."""
    pairs = [(int(m.group(1)), float(m.group(2))) for m in
             re.finditer(r"^train\s+(\d+)\s+loss\s+([-+0-9.eE]+)", text, re.M)]
    return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


def loss_histories(d):
    """Each train step's monitor lines: from run.sh's logs (train.log, train_2.log, ...; not
    the binary TAO journal next to them, train_state_tao.bin, named train_state_tao.log
    before 2026-12-04), or else from the train steps that scripts/reproduce.sh logs one
    after the other in reproduce.log."""
    runs = []
    paths = [p for p in glob.glob(os.path.join(d, "train*.log"))
             if re.fullmatch(r"train(_\d+)?\.log", os.path.basename(p))]
    for path in sorted(paths, key=lambda p: (len(p), p)):
        with open(path, errors="replace") as f:
            its, losses = monitor_lines(f.read())
        if len(its):
            runs.append((os.path.basename(path), its, losses))
    log = os.path.join(d, "reproduce.log")
    if not runs and os.path.isfile(log):
        with open(log, errors="replace") as f:
            blocks = f.read().split("\n$ ")[1:]
        for block in blocks:
            command = block.split("\n", 1)[0].split()
            if "train" not in command:
                continue
            name = ("LM" if "lm" in command else "L-BFGS" if "tao" in command else "Adam")
            # A step given its own -train_window fits other windows than the case's (another
            # objective): say which.
            if "-train_window" in command[:-1]:
                name += ", windows of %s" % command[command.index("-train_window") + 1]
            its, losses = monitor_lines(block)
            if len(its):
                runs.append(("train (%s)" % name, its, losses))
    return runs


def attr_str(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def main(d, fig_name="fisher_kpp"):
    rep = h5py.File(require(os.path.join(d, "learned.h5"), "udeflow evaluate"), "r")
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    ax = axes[0][0]
    rho = rep["rho"][:]
    ax.plot(rho, rep["reaction_true"][:], "k-", lw=2, label=r"truth $r\rho(1-\rho)$")
    ax.plot(rho, rep["reaction_learned"][:], "C1--", lw=2, label=r"learned NN($\rho$)")
    ax.set_xlabel(r"$\rho$")
    ax.set_title("reaction term (max error %.2e)" % rep.attrs["reaction_max_error"])
    ax.legend()
    ax.grid(alpha=0.3)

    ax = axes[0][1]
    if "stencil" in rep:
        w = rep["stencil"][:]
        dx = rep.attrs["dx"]
        # The truth as the same stencil with the learned scale: D/(D0 dx^2) [1, -2, 1].
        ideal = rep.attrs["D_true"] / (w[3] * dx * dx) * np.array([1.0, -2.0, 1.0])
        x = np.arange(3)
        ax.bar(x - 0.2, w[:3], 0.4, label="learned w")
        ax.bar(x + 0.2, ideal, 0.4, label=r"truth $D/(D_0\,dx^2)\,[1,-2,1]$")
        ax.set_xticks(x, ["w1", "w2", "w3"])
        ax.set_title("stencil: w1/w3 %.4f, sum w %.1e, D_eff %.5f (truth %.3g)"
                     % (rep.attrs["w1_over_w3"], rep.attrs["sum_w"], rep.attrs["D_eff"], rep.attrs["D_true"]),
                     fontsize=9)
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no stencil closure", ha="center")
    ax.grid(alpha=0.3)

    ax = axes[1][0]
    runs = loss_histories(d)
    offset = 0
    for name, its, losses in runs:
        ax.semilogy(its + offset, losses, label=name)
        offset += its[-1] + 1
    if runs:
        ax.legend(fontsize=8)
        ax.set_xlabel("iteration (runs one after the other)")
    else:
        ax.text(0.5, 0.5, "no train monitor lines in %s" % d, ha="center", transform=ax.transAxes)
    ax.set_title("training loss")
    ax.grid(alpha=0.3)

    ax = axes[1][1]
    ev_path, ds_path = os.path.join(d, "evaluate.h5"), os.path.join(d, "dataset.h5")
    drawn = False
    if os.path.exists(ev_path) and os.path.exists(ds_path):
        ev, ds = h5py.File(ev_path, "r"), h5py.File(ds_path, "r")
        grid = [int(v) for v in attr_str(ds.attrs["grid"]).split(",")]
        if len(grid) == 1:
            truth = {attr_str(ds[g].attrs["name"]): ds[g] for g in ds.keys()}
            n = grid[0]
            for c, name in enumerate(sorted(ev.keys())):
                models = [m for m in ev[name].keys() if m.startswith("closure")]
                if not models or name not in truth:
                    continue
                pred = ev[name][models[0]]["state"][-1]
                # the observable: the truth averaged onto the model's cells (a finer truth,
                # as in fisher_kpp_resolved, in blocks of n / m nodes)
                m = len(pred)
                xs = np.arange(m) * float(attr_str(ds.attrs["domain"]).split(",")[0]) / m
                obs = truth[name]["state"][-1].reshape(m, n // m).mean(axis=1)
                label = "%s truth" % name if n == m else "%s truth (%dx finer, cell averages)" % (name, n // m)
                ax.plot(xs, obs, "-", color="C%d" % c, lw=2, label=label)
                ax.plot(xs, pred, "--", color="C%d" % c, label="%s learned model" % name)
                drawn = True
            t_end = ds[list(ds.keys())[0]]["t"][-1]
            ax.set_title("held-out initial conditions at t = %g" % t_end)
            ax.set_xlabel("x")
    if drawn:
        ax.legend(fontsize=7)
    else:
        ax.text(0.5, 0.5, "no 1-D predictions", ha="center", transform=ax.transAxes)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out = os.path.join(d, fig_name + ".png")
    fig.savefig(out, dpi=110)
    print("wrote", out)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "results/fisher_kpp")
