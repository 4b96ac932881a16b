#!/usr/bin/python3
"""Fields of any udeflow field file (dataset.h5, evaluate.h5, train_snapshots.h5), any case:
1-D grids as space-time diagrams, 2-D grids as images at a few times, 3-D grids as the
middle z-slice (and the horizontal mean profile over depth/z against time), one row per field.

    /usr/bin/python3 scripts/plot/fields.py results/<case>/dataset.h5 [-s GROUP] [-o fields.png]

GROUP: which series to draw (default: the first one found): e.g. traj_0000 (a dataset
trajectory), test_101/closure_64 (evaluate), iter_000100 (training snapshots).  Geometry,
field names and units come from the file's attributes (grid, domain, origin, fields, units).
"""
import argparse
import os

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from plotutil import require  # noqa: E402


def attr(obj, name, default=None):
    v = obj.attrs.get(name, default)
    return v.decode() if isinstance(v, bytes) else v


def series_of(f):
    """(name, times, [nt, cells*fields] array, attribute holder) of every series in the file."""
    out = []

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset) and name.endswith("state") and obj.ndim == 2:
            g = f[os.path.dirname(name) or "/"]
            t = g["t"][:] if "t" in g else np.arange(obj.shape[0], dtype=float)
            if len(t) != obj.shape[0]:  # evaluate: t has no initial time
                t = t[-obj.shape[0]:]
            out.append((os.path.dirname(name), t, obj, obj))
        elif isinstance(obj, h5py.Group) and any(k.startswith("frame_") for k in obj.keys()):
            frames = sorted(k for k in obj.keys() if k.startswith("frame_"))
            t = np.array([obj[k].attrs["time"] for k in frames])
            out.append((name, t, np.stack([obj[k][:] for k in frames]), obj[frames[0]]))
    f.visititems(visit)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file")
    p.add_argument("-s", "--series", default=None)
    p.add_argument("-o", "--output", default=None)
    p.add_argument("-n", "--times", type=int, default=4, help="times shown for 2-D/3-D grids")
    a = p.parse_args()
    f = h5py.File(require(a.file, "udeflow generate or evaluate"), "r")
    allseries = series_of(f)
    if not allseries:
        raise SystemExit(f"{a.file}: no field series found")
    pick = [s for s in allseries if a.series is None or s[0].strip("/") == a.series.strip("/")]
    if not pick:
        raise SystemExit(f"{a.file}: no series '{a.series}' (have: {', '.join(s[0] for s in allseries)})")
    name, t, data, holder = pick[0]
    grid = [int(x) for x in str(attr(holder, "grid", attr(f, "grid"))).split(",")]
    domain = [float(x) for x in str(attr(holder, "domain", attr(f, "domain"))).split(",")]
    origin = [float(x) for x in str(attr(holder, "origin", attr(f, "origin", ",".join(["0"] * len(grid))))).split(",")]
    fields = str(attr(holder, "fields", attr(f, "fields"))).split(",")
    units = str(attr(holder, "units", attr(f, "units", ",".join([""] * len(fields))))).split(",")
    units += [""] * (len(fields) - len(units))
    nf, dim = len(fields), len(grid)
    shape = [len(t)] + grid[::-1] + [nf]  # natural order: x fastest, fields interleaved
    u = np.asarray(data[:]).reshape(shape)
    x0, x1 = origin[0], origin[0] + domain[0]
    ncols = 1 if dim == 1 else min(a.times, len(t)) + (1 if dim == 3 else 0)
    fig, axes = plt.subplots(nf, ncols, figsize=(4.2 * ncols, 3.4 * nf), squeeze=False)
    for c, field in enumerate(fields):
        label = f"{field} [{units[c]}]" if units[c] else field
        if dim == 1:
            ax = axes[c][0]
            im = ax.imshow(u[..., c], aspect="auto", origin="lower", extent=[x0, x1, t[0], t[-1]], cmap="viridis")
            fig.colorbar(im, ax=ax, label=label)
            ax.set_xlabel("x")
            ax.set_ylabel("t")
            ax.set_title(f"{name}: {field}")
            continue
        ks = np.unique(np.linspace(0, len(t) - 1, min(a.times, len(t))).astype(int))
        plane = (lambda k: u[k, ..., c]) if dim == 2 else (lambda k: u[k, grid[2] // 2, ..., c])
        vmin = min(plane(k).min() for k in ks)
        vmax = max(plane(k).max() for k in ks)
        y0, y1 = origin[1], origin[1] + domain[1]
        for col, k in enumerate(ks):
            ax = axes[c][col]
            im = ax.imshow(plane(k), origin="lower", extent=[x0, x1, y0, y1], aspect="auto", vmin=vmin, vmax=vmax)
            ax.set_title(f"{field}, t = {t[k]:.4g}" + (" (middle z)" if dim == 3 else ""))
            ax.set_xlabel("x")
            ax.set_ylabel("y")
        fig.colorbar(im, ax=list(axes[c][:len(ks)]), label=label)
        if dim == 3:  # horizontal mean against z and t
            ax = axes[c][-1]
            z = origin[2] + domain[2] * (np.arange(grid[2]) + 0.5) / grid[2]
            for k in ks:
                ax.plot(u[k, ..., c].mean(axis=(1, 2)), z, label=f"t = {t[k]:.4g}")
            ax.set_xlabel(label + " (horizontal mean)")
            ax.set_ylabel("z")
            ax.legend(fontsize=7)
    fig.suptitle(f"{os.path.basename(a.file)}: {name}")
    out = a.output or os.path.splitext(a.file)[0] + "_fields.png"
    fig.savefig(out, dpi=110)
    print("wrote", out)


if __name__ == "__main__":
    main()
