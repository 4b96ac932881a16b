"""Runs every plot script of scripts/plot/ that works on run outputs on small outputs made
here by tiny runs (Burgers generate/train/evaluate and a short BSDE run, 2 ranks), and
checks that each PNG exists and is not empty.  Skips (77) without matplotlib/h5py.
Usage: /usr/bin/python3 plots.py <source dir> <udeflow> <workdir> <mpiexec...>"""
import os
import shutil
import subprocess
import sys

try:
    import h5py  # noqa: F401
    import matplotlib  # noqa: F401
except ImportError as e:
    print("SKIP: needs matplotlib and h5py (Debian: python3-matplotlib python3-h5py):", e)
    sys.exit(77)

src, ude, work = sys.argv[1:4]
mpiexec = sys.argv[4:]
tiny = os.path.join(src, "tests/cli/tiny.yaml")
plot = os.path.join(src, "scripts/plot")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
b = os.path.join(work, "burgers")


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        print(p.stdout)
        raise SystemExit("failed: " + " ".join(cmd))
    return p.stdout


for cmd in (["generate"], ["train", "-train_iterations", "6", "-train_snapshots_every", "3", "-train_checkpoint_every", "2"],
            ["evaluate"]):
    run(mpiexec + [ude, cmd[0], "-options_file", tiny, "-output_dir", b] + cmd[1:])
bsde = os.path.join(work, "hjb100")
run(mpiexec + [ude, "bsde", "-options_file", os.path.join(src, "cases/hjb100.yaml"), "-output_dir", bsde,
               "-bsde_iterations", "60", "-bsde_valid_every", "20", "-bsde_final_samples", "0"])

py = sys.executable
checks = [
    ([py, f"{plot}/burgers.py", b], [f"{b}/burgers_error.png", f"{b}/burgers_fields.png"]),
    ([py, f"{plot}/loss_history.py", b], [f"{b}/loss_history.png"]),
    ([py, f"{plot}/bsde_history.py", f"{bsde}/bsde_history.csv", "-o", f"{bsde}/bsde.png"], [f"{bsde}/bsde.png"]),
    ([py, f"{plot}/fields.py", f"{b}/dataset.h5"], [f"{b}/dataset_fields.png"]),
    ([py, f"{plot}/fields.py", f"{b}/evaluate.h5"], [f"{b}/evaluate_fields.png"]),
    ([py, f"{plot}/fields.py", f"{b}/train_snapshots.h5", "-s", "iter_000006"], [f"{b}/train_snapshots_fields.png"]),
]
for cmd, pngs in checks:
    for p in pngs:
        if os.path.exists(p):
            os.remove(p)
    run(cmd)
    for p in pngs:
        assert os.path.isfile(p) and os.path.getsize(p) > 1000, "missing or empty: " + p
        print("ok:", os.path.relpath(p, work), os.path.getsize(p), "bytes")
# The history covers every iteration, and the BSDE history has the reference and trivial answer.
rows = [r for r in open(f"{b}/train_history.csv").read().splitlines() if not r.startswith("#")]
assert rows[0].startswith("iteration,phase,loss") and len(rows) == 7, rows
hdr = [r for r in open(f"{bsde}/bsde_history.csv") if not r.startswith("#")][0].strip().split(",")
assert "reference" in hdr and "trivial" in hdr, hdr
print("ok")
