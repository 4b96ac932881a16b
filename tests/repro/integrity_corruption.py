#!/usr/bin/env python3
"""Damaged udeflow files are refused or give the same answer, never a different one.

    integrity_corruption.py --udeflow build/udeflow --source . --work dir [--np 2]

Writes each kind of HDF5 file with tiny runs (dataset, model, training state, BSDE
checkpoint; evaluation and field files), then damages copies of them: bytes
overwritten at seeded offsets spread over the file and inside every data chunk, 2,000
bytes overwritten in the middle, truncations.  Each copy of a file that udeflow reads
back is given to the command that reads it (train on a dataset, evaluate on a model,
train -train_resume on a training state, bsde -bsde_resume on a checkpoint); the
command must either refuse with exactly one "udeflow: error:" line naming the file
(non-zero exit, no signal, no PETSc traceback, no MPI abort, no *.partial file left) or
produce result files identical to those of the intact copy (scripts/compare_results.py).
Files udeflow only writes (evaluate.h5, train_snapshots.h5, learned.h5) are read whole
with h5py (the same HDF5 library) at many more offsets: every copy must fail to read or
read identically.  Prints a count per kind and outcome; exit 1 on any other outcome.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import compare_results  # noqa: E402

SEED = 16


def run(cmd, log=None):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    if log is not None and r.returncode != 0:
        print("FAIL: %s\n%s\n%s" % (" ".join(cmd), r.stdout[-3000:], r.stderr[-3000:]))
    return r


def chunk_offsets(path):
    """File offsets and sizes of every stored data chunk."""
    out = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.chunks:
                for i in range(obj.id.get_num_chunks()):
                    info = obj.id.get_chunk_info(i)
                    out.append((info.byte_offset, info.size))
        f.visititems(visit)
    return out


def damaged_copies(path, n_random, rng, max_chunks=None):
    """(label, bytes) of damaged versions of the file at `path`."""
    data = open(path, "rb").read()
    n = len(data)
    offsets = {rng.randrange(n) for _ in range(n_random)}
    offsets |= {rng.randrange(min(n, 512)) for _ in range(2)}  # superblock, root group
    chunks = chunk_offsets(path)
    if max_chunks is not None and len(chunks) > max_chunks:
        chunks = rng.sample(chunks, max_chunks)
    for off, size in chunks:
        offsets.add(off + rng.randrange(size))
    copies = []
    for off in sorted(offsets):
        b = bytearray(data)
        for k in range(rng.randint(1, 4)):
            if off + k < n:
                b[off + k] ^= rng.randint(1, 255)
        copies.append(("bytes at %d" % off, bytes(b)))
    if n > 4000:
        mid = n // 2 - 1000
        b = bytearray(data)
        b[mid:mid + 2000] = bytes(rng.randrange(256) for _ in range(2000))
        copies.append(("2000 bytes at %d" % mid, bytes(b)))
    for frac in (0.0, 0.5):
        copies.append(("truncated to %d" % int(n * frac), data[:int(n * frac)]))
    copies.append(("truncated to %d" % (n - 1), data[:n - 1]))
    return copies


def same_results(ref, out, files):
    for name in files:
        a, b = os.path.join(ref, name), os.path.join(out, name)
        if not os.path.isfile(b):
            return "%s missing" % name
        diff = compare_results.compare_h5(a, b) if name.endswith(".h5") else compare_results.compare_csv(a, b)
        if diff:
            return "%s: %s" % (name, diff)
    return None


def classify(r, out, copy, ref, files):
    """'refused', 'identical', or a failure description."""
    text = r.stdout + r.stderr
    for bad in ("PETSC ERROR", "MPI_ABORT", "Segmentation", "core dumped", "Traceback"):
        if bad in text:
            return "FAIL (%s in the output)" % bad
    if r.returncode < 0 or r.returncode >= 128:
        return "FAIL (exit code %d: a signal)" % r.returncode
    partial = [f for f in os.listdir(out) if f.endswith(".partial")]
    if partial:
        return "FAIL (half-written %s left)" % partial[0]
    if r.returncode == 0:
        diff = same_results(ref, out, files)
        return "identical" if diff is None else "FAIL (accepted, different result: %s)" % diff
    errors = [line for line in r.stderr.splitlines() if line.startswith("udeflow: error")]
    if len(errors) != 1 or not errors[0].startswith("udeflow: error: "):
        return "FAIL (%d error lines: %s)" % (len(errors), errors)
    if os.path.basename(copy) not in errors[0]:
        return "FAIL (the error does not name the file: %s)" % errors[0]
    return "refused"


def h5_contents(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            out[name + "@"] = sorted((k, np.asarray(v).tobytes()) for k, v in obj.attrs.items())
            if isinstance(obj, h5py.Dataset):
                out[name] = np.asarray(obj[()]).tobytes()
        visit("/", f)
        f.visititems(visit)
    return out


def read_in_child(copy, ref):
    """Reads `copy` whole in a child process (a crash of the HDF5 library is an outcome)."""
    pid = os.fork()
    if pid == 0:
        try:
            code = 0 if h5_contents(copy) == ref else 1
        except Exception:  # noqa: BLE001 - any failure to read is a refusal
            code = 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        # udeflow never reads these files; h5py's HDF5 aborting on damaged metadata is a
        # loud failure to read (counted apart), not a silent wrong answer.
        return "refused (reader aborted, signal %d)" % os.WTERMSIG(status)
    return {0: "identical", 1: "FAIL (read back different contents)", 2: "refused"}.get(
        os.WEXITSTATUS(status), "FAIL (exit %d)" % os.WEXITSTATUS(status))


def check_output_only(path, work, rng, n_random, tally):
    ref = h5_contents(path)
    copy = os.path.join(work, "damaged_" + os.path.basename(path))
    for label, data in damaged_copies(path, n_random, rng):
        with open(copy, "wb") as f:
            f.write(data)
        outcome = read_in_child(copy, ref)
        if outcome.startswith("FAIL"):
            keep = "%s.%s" % (copy, label.replace(" ", "_"))
            shutil.copy(copy, keep)
            print("%s, %s: %s (kept as %s)" % (os.path.basename(path), label, outcome, keep))
        tally.setdefault((os.path.basename(path), outcome), []).append(label)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--udeflow", required=True)
    p.add_argument("--source", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--np", type=int, default=2, help="ranks of the commands reading damaged datasets")
    p.add_argument("--cases", type=int, default=4, help="random byte offsets per file read by udeflow")
    p.add_argument("--h5-cases", type=int, default=150, help="random byte offsets per output-only file")
    a = p.parse_args()
    rng = random.Random(SEED)
    os.environ.setdefault("OMPI_MCA_ess_singleton_isolated", "1")  # 1-rank runs start faster
    w = os.path.abspath(a.work)
    shutil.rmtree(w, ignore_errors=True)
    os.makedirs(w)
    ude = [os.path.abspath(a.udeflow)]
    mpi = ["mpiexec", "-n", str(a.np)] if a.np > 1 else []
    burgers = ["-options_file", os.path.join(a.source, "tests", "cli", "tiny.yaml")]
    fisher = ["-options_file", os.path.join(a.source, "tests", "cli", "fisher_tiny.yaml")]
    bsde = ["-options_file", os.path.join(a.source, "cases", "hjb100.yaml"), "-bsde_dim", "10",
            "-bsde_final_samples", "64", "-bsde_norm_samples", "32", "-bsde_valid_batch", "32",
            "-bsde_valid_every", "2", "-bsde_checkpoint_every", "2", "-bsde_monitor", "0"]
    src = os.path.join(w, "written")
    fsrc = os.path.join(w, "fisher")
    train = ["-train_iterations", "4", "-train_lbfgs_iterations", "0"]
    steps = [
        ude + ["generate"] + burgers + ["-output_dir", src],
        ude + ["train"] + burgers + train + ["-output_dir", src, "-train_snapshots_every", "2"],
        ude + ["evaluate"] + burgers + ["-output_dir", src],
        ude + ["bsde"] + bsde + ["-bsde_iterations", "4", "-output_dir", src],
        ude + ["generate"] + fisher + ["-output_dir", fsrc],
        ude + ["train"] + fisher + train + ["-output_dir", fsrc],
        ude + ["evaluate"] + fisher + ["-output_dir", fsrc],
    ]
    for cmd in steps:
        if run(cmd, log=True).returncode:
            return 1
    data = os.path.join(src, "dataset.h5")
    # kind: (file, command reading `f` into `out`, ranks, result files compared)
    kinds = {
        "dataset": ("dataset.h5", lambda f, out: mpi + ude + ["train"] + burgers + train + [
            "-dataset", f, "-output_dir", out], ["model.h5", "train_history.csv"]),
        "model": ("model.h5", lambda f, out: ude + ["evaluate"] + burgers + [
            "-model", f, "-dataset", data, "-output_dir", out], ["evaluate.h5"]),
        "training state": ("train_state.h5", lambda f, out: ude + ["train"] + burgers + [
            "-train_iterations", "6", "-train_lbfgs_iterations", "0", "-dataset", data,
            "-train_resume", f, "-output_dir", out], ["model.h5", "train_history.csv"]),
        "BSDE checkpoint": ("bsde_checkpoint.h5", lambda f, out: ude + ["bsde"] + bsde + [
            "-bsde_iterations", "6", "-bsde_resume", f, "-output_dir", out],
            ["bsde_checkpoint.h5", "bsde_history.csv"]),
    }
    tally = {}
    for kind, (name, command, files) in kinds.items():
        ref = os.path.join(w, "ref_" + name)
        os.makedirs(ref)
        intact = os.path.join(w, "intact_" + name)
        shutil.copy(os.path.join(src, name), intact)
        if run(command(intact, ref), log=True).returncode:
            return 1
        copy = os.path.join(w, "damaged_" + name)
        out = os.path.join(w, "out_" + name)
        for label, blob in damaged_copies(os.path.join(src, name), a.cases, rng, max_chunks=3):
            with open(copy, "wb") as f:
                f.write(blob)
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            r = run(command(copy, out))
            outcome = classify(r, out, copy, ref, files)
            tally.setdefault((name, outcome), []).append(label)
            if outcome.startswith("FAIL"):
                print("%s, %s: %s\n  stderr: %s" % (name, label, outcome, r.stderr.strip()[-600:]))
    for path in (os.path.join(src, "evaluate.h5"), os.path.join(src, "train_snapshots.h5"),
                 os.path.join(fsrc, "learned.h5")):
        check_output_only(path, w, rng, a.h5_cases, tally)
    failed = 0
    for (name, outcome), labels in sorted(tally.items()):
        print("%-20s %-10s %4d  e.g. %s" % (name, outcome if not outcome.startswith("FAIL") else "FAIL",
                                          len(labels), ", ".join(labels[:3])))
        if outcome.startswith("FAIL"):
            failed += len(labels)
    total = sum(len(v) for v in tally.values())
    if failed:
        print("FAIL: %d of %d damaged copies were neither refused nor read identically" % (failed, total))
        return 1
    print("ok: %d damaged copies, each refused with one line naming the file or read identically" % total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
