#!/usr/bin/env python3
"""Rerun test: the same udeflow command run under different conditions of the process
must give bit-identical results.

    rerun.py --udeflow build/udeflow --np 2 --command train --case cases/x.yaml --work dir \
        [--runs 3] [--files model.h5,...] -- [udeflow options]

The conditions differ in everything that must not matter: address-space randomisation
(on; off with `setarch -R`), the size of the environment (which shifts the stack and
the heap), glibc's MALLOC_PERTURB_ (uninitialised heap memory holds other bytes), and
the thread counts the user's environment asks of OpenMP/OpenBLAS/MKL (udeflow pins them
itself).  For `train` the dataset is generated under every condition too and compared
(generate must be reproducible as well); each training run then reads the first one.
Results are compared with scripts/compare_results.py; exit 0 when all are identical.
"""
import argparse
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
COMPARE = os.path.join(HERE, "..", "..", "scripts", "compare_results.py")

CONDITIONS = [
    ("plain", False, {}),
    ("aslr-off, 8 KiB more environment, MALLOC_PERTURB_, 2 threads asked", True,
     {"UDEFLOW_TEST_PAD": "x" * 8192, "MALLOC_PERTURB_": "165", "OMP_NUM_THREADS": "2",
      "OPENBLAS_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}),
    ("3 KiB more environment, another MALLOC_PERTURB_, 3 threads asked", False,
     {"UDEFLOW_TEST_PAD": "y" * 3001, "MALLOC_PERTURB_": "90", "OMP_NUM_THREADS": "3",
      "OPENBLAS_NUM_THREADS": "3"}),
]


def launcher(np_):
    cmd = ["mpiexec", "-n", str(np_)]
    if np_ > (os.cpu_count() or 1):
        cmd.append("--oversubscribe")
    return cmd


def run(cmd, cond, log):
    name, no_aslr, extra = cond
    env = dict(os.environ)
    env.update(extra)
    if no_aslr and shutil.which("setarch"):
        cmd = ["setarch", os.uname().machine, "-R"] + cmd
    with open(log, "w") as f:
        f.write("# condition: %s\n# %s\n" % (name, " ".join(cmd)))
        f.flush()
        return subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env).returncode


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--udeflow", required=True)
    p.add_argument("--np", type=int, default=1)
    p.add_argument("--command", default="train", choices=["train", "bsde"])
    p.add_argument("--case", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--runs", type=int, default=len(CONDITIONS), help="runs (conditions cycle)")
    p.add_argument("--generate-once", action="store_true", help="train: generate the dataset once only")
    p.add_argument("--files", help="result files to compare (default: every .h5 and .csv)")
    p.add_argument("--then", action="append", default=[], metavar="COMMAND",
                   help="another udeflow command run after it in the same output directory (evaluate, discover)")
    p.add_argument("extra", nargs="*")
    a = p.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    # More runs than conditions: cycle through them with another environment size each time.
    conds = []
    for i in range(a.runs):
        name, no_aslr, extra = CONDITIONS[i % len(CONDITIONS)]
        if i >= len(CONDITIONS):
            extra = dict(extra, UDEFLOW_TEST_PAD="z" * (977 * i))
            name += ", %d bytes of padding" % (977 * i)
        conds.append((name, no_aslr, extra))
    base = [a.udeflow, a.command, "-options_file", a.case] + a.extra
    dirs = []
    for i, cond in enumerate(conds):
        d = os.path.join(a.work, "run%d" % (i + 1))
        os.makedirs(d)
        dirs.append(d)
        if a.command == "train" and (i == 0 or not a.generate_once):
            g = os.path.join(a.work, "generate%d" % (i + 1))
            os.makedirs(g)
            gen = [x for x in base if x != "train"]
            gen.insert(1, "generate")
            if run(launcher(a.np) + gen + ["-output_dir", g], cond, g + ".log"):
                print("generate under '%s' failed; see %s.log" % (cond[0], g))
                return 1
        if a.command == "train":
            shutil.copy(os.path.join(a.work, "generate1", "dataset.h5"), os.path.join(d, "dataset.h5"))
        if run(launcher(a.np) + base + ["-output_dir", d], cond, d + ".log"):
            print("run under '%s' failed; see %s.log" % (cond[0], d))
            return 1
        for then in a.then:
            cmd = [a.udeflow, then, "-options_file", a.case] + a.extra + ["-output_dir", d]
            if run(launcher(a.np) + cmd, cond, "%s_%s.log" % (d, then)):
                print("%s under '%s' failed; see %s_%s.log" % (then, cond[0], d, then))
                return 1
    bad = 0
    for i in range(1, len(dirs)):
        print("run %d (%s) vs run 1 (%s):" % (i + 1, conds[i][0], conds[0][0]))
        args = [sys.executable, COMPARE, dirs[0], dirs[i]] + (["--files", a.files] if a.files else [])
        bad |= subprocess.run(args).returncode
        if a.command == "train" and not a.generate_once:
            print("datasets generated under the two conditions:")
            bad |= subprocess.run([sys.executable, COMPARE, os.path.join(a.work, "generate1"),
                                   os.path.join(a.work, "generate%d" % (i + 1)), "--files", "dataset.h5"]).returncode
    print("%d runs: %s" % (len(dirs), "all identical" if not bad else "RESULTS DIFFER"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
