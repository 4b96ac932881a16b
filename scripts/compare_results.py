#!/usr/bin/env python3
"""Compare the results of two udeflow runs bit for bit.

    /usr/bin/python3 scripts/compare_results.py results/run_a results/run_b [--files model.h5,train_history.csv]

For every HDF5 file (model, training state, dataset, evaluation, BSDE checkpoint) it
compares every dataset and attribute exactly, except what describes the run rather than
its result: the provenance attributes udeflow_* (command line, start time, ...) and
wall-clock times (attributes "seconds", datasets whose name ends in "seconds").  For the CSV histories it compares every column but
"seconds" as text (udeflow writes them with round-trip precision).  Prints one line per
file and exits 1 at the first difference in any of them, 0 when all are identical.
Files present in only one directory are reported and count as a difference.
"""
import argparse
import csv
import os
import sys

import h5py
import numpy as np

SKIP_ATTRS = {"seconds", "wall_seconds"}  # timing, not results
SKIP_COLUMNS = {"seconds"}


def _attr_equal(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()
    if isinstance(a, float) and isinstance(b, float):
        return np.float64(a).tobytes() == np.float64(b).tobytes()
    return a == b


def compare_h5(pa, pb):
    """First difference between two HDF5 files, or None."""
    with h5py.File(pa, "r") as fa, h5py.File(pb, "r") as fb:
        names_a, names_b = [], []
        fa.visit(names_a.append)
        fb.visit(names_b.append)
        if sorted(names_a) != sorted(names_b):
            return "objects differ: %s" % sorted(set(names_a) ^ set(names_b))
        for name in ["/"] + sorted(names_a):
            oa, ob = fa[name], fb[name]
            ka = sorted(k for k in oa.attrs if not k.startswith("udeflow_") and k not in SKIP_ATTRS)
            kb = sorted(k for k in ob.attrs if not k.startswith("udeflow_") and k not in SKIP_ATTRS)
            if ka != kb:
                return "%s: attributes differ: %s" % (name, sorted(set(ka) ^ set(kb)))
            for k in ka:
                if not _attr_equal(oa.attrs[k], ob.attrs[k]):
                    return "%s: attribute %s: %r vs %r" % (name, k, oa.attrs[k], ob.attrs[k])
            if isinstance(oa, h5py.Dataset) and not name.endswith("seconds"):
                da, db = oa[()], ob[()]
                if np.shape(da) != np.shape(db) or np.asarray(da).tobytes() != np.asarray(db).tobytes():
                    if np.shape(da) != np.shape(db):
                        return "%s: shapes %s vs %s" % (name, np.shape(da), np.shape(db))
                    a, b = np.asarray(da).ravel(), np.asarray(db).ravel()
                    if a.dtype != b.dtype:
                        return "%s: types %s vs %s" % (name, a.dtype, b.dtype)
                    if a.dtype.kind == "f":  # compare bits (NaN == NaN, -0 != +0)
                        a, b = a.view("u%d" % a.itemsize), b.view("u%d" % b.itemsize)
                        da, db = np.asarray(da).ravel(), np.asarray(db).ravel()
                    else:
                        da, db = a, b
                    diff = np.flatnonzero(a != b)
                    n = len(diff)
                    first = diff[0] if n else 0
                    return "%s: %d of %d entries differ (first at %d: %r vs %r)" % (
                        name, n, a.size, first, da[first], db[first])
    return None


def provenance_diff(pa, pb):
    """The udeflow_* attributes (what made the file) that differ, for a difference report."""
    out = []
    with h5py.File(pa, "r") as fa, h5py.File(pb, "r") as fb:
        for k in sorted(set(fa.attrs) | set(fb.attrs)):
            if not k.startswith("udeflow_") or k == "udeflow_started":
                continue
            va, vb = fa.attrs.get(k), fb.attrs.get(k)
            if va is None or vb is None or not _attr_equal(va, vb):
                out.append("%s: %r vs %r" % (k[8:], va, vb))
    return out


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(line for line in f if not line.startswith("#")))
    if not rows:
        return [], []
    keep = [i for i, h in enumerate(rows[0]) if h not in SKIP_COLUMNS]
    return [rows[0][i] for i in keep], [[r[i] for i in keep] for r in rows[1:]]


def compare_csv(pa, pb):
    ha, ra = read_csv(pa)
    hb, rb = read_csv(pb)
    if ha != hb:
        return "columns differ: %s vs %s" % (ha, hb)
    if len(ra) != len(rb):
        return "%d vs %d rows" % (len(ra), len(rb))
    for i, (a, b) in enumerate(zip(ra, rb)):
        if a != b:
            return "row %d: %s vs %s" % (i + 1, ",".join(a), ",".join(b))
    return None


def result_files(d):
    return sorted(f for f in os.listdir(d)
                  if (f.endswith(".h5") or f.endswith(".csv")) and not f.endswith(".partial"))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--files", help="comma-separated file names to compare (default: every .h5 and .csv)")
    p.add_argument("--quiet", action="store_true", help="print differences only")
    args = p.parse_args()
    names = args.files.split(",") if args.files else sorted(set(result_files(args.a)) | set(result_files(args.b)))
    if not names:
        print("no result files in %s or %s" % (args.a, args.b))
        return 1
    bad = 0
    for name in names:
        pa, pb = os.path.join(args.a, name), os.path.join(args.b, name)
        if not (os.path.isfile(pa) and os.path.isfile(pb)):
            print("%-28s only in %s" % (name, args.a if os.path.isfile(pa) else args.b))
            bad += 1
            continue
        diff = compare_h5(pa, pb) if name.endswith(".h5") else compare_csv(pa, pb)
        if diff:
            print("%-28s DIFFERENT: %s" % (name, diff))
            if name.endswith(".h5"):
                for line in provenance_diff(pa, pb):
                    print("%-28s   made differently: %s" % ("", line))
            bad += 1
        elif not args.quiet:
            print("%-28s identical" % name)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
