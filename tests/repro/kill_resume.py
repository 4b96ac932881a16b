#!/usr/bin/env python3
"""Kill-and-resume test: a training run killed with SIGKILL at random moments (the whole
process group, as when a node dies: no signal handler runs, a checkpoint may be half
written) and resumed with -<prefix>resume latest each time must end with results
bit-identical to an uninterrupted run.

    kill_resume.py --udeflow build/udeflow --np 2 --command train --case cases/x.yaml \
        [--generate | --dataset dir/dataset.h5] --work dir --kills 6 -- [udeflow options]

The kill points are iteration numbers drawn (seeded) from [--min-iter, --max-iter] plus
any --kill-at, sorted: run k is killed at its first progress line ("train <it>", "bsde it
<it>") whose iteration reaches the k-th point, plus a random delay of up to --jitter
seconds, so kills land in every part of an iteration: the solve, a checkpoint write, the
replay of a TAO phase.  Counting iterations, not lines seen, makes the phases a kill
lands in independent of how fast the machine is (a delay covers more iterations on an
idle machine than on a loaded one, which must not decide whether the TAO phase is hit).
Exit 0 when every compared file is identical and at least --min-kills kills landed before
the run finished; 1 otherwise.
"""
import argparse
import os
import random
import shutil
import signal
import re
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
COMPARE = os.path.join(HERE, "..", "..", "scripts", "compare_results.py")


def launcher(np_):
    cmd = ["mpiexec", "-n", str(np_)]
    if np_ > (os.cpu_count() or 1):
        cmd.append("--oversubscribe")
    return cmd


def kill_session(sid):
    """SIGKILL every process of the session `sid`: mpiexec and all ranks (Open MPI puts each
    rank in a process group of its own, so killpg on mpiexec's group would leave them
    running), as when the node dies."""
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[3]) == sid:  # field 6 of stat: session id
                    pids.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def run(cmd, log, timeout):
    with open(log, "a") as f:
        return subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, timeout=timeout).returncode


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--udeflow", required=True)
    p.add_argument("--np", type=int, default=1)
    p.add_argument("--command", default="train", choices=["train", "bsde"])
    p.add_argument("--case", required=True)
    p.add_argument("--dataset", help="dataset.h5 to copy into the output directories (train)")
    p.add_argument("--generate", action="store_true", help="train: generate the dataset first")
    p.add_argument("--work", required=True)
    p.add_argument("--kills", type=int, default=5, help="kills to attempt")
    p.add_argument("--min-kills", type=int, default=2, help="kills that must land before the run finished")
    p.add_argument("--min-iter", type=int, default=2, help="smallest iteration to kill at")
    p.add_argument("--max-iter", type=int, default=30, help="largest iteration to kill at (below the run's end)")
    p.add_argument("--kill-at", type=int, action="append", default=[], metavar="IT",
                   help="also kill at this iteration (e.g. one inside the TAO phase)")
    p.add_argument("--jitter", type=float, default=0.05, help="largest extra delay after that line (s)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--files", default="model.h5,train_history.csv")
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--require", action="append", default=[], metavar="TEXT",
                   help="text that must appear in the killed runs' output (e.g. a resume in a given phase)")
    p.add_argument("extra", nargs="*")
    a = p.parse_args()
    prefix = "bsde_" if a.command == "bsde" else "train_"
    if a.generate:
        gen = os.path.join(a.work, "data")
        shutil.rmtree(gen, ignore_errors=True)
        os.makedirs(gen)
        cmd = launcher(a.np) + [a.udeflow, "generate", "-options_file", a.case] + a.extra + ["-output_dir", gen]
        if run(cmd, os.path.join(a.work, "generate.log"), a.timeout):
            print("generate failed; see", os.path.join(a.work, "generate.log"))
            return 1
        a.dataset = os.path.join(gen, "dataset.h5")
    ref, kr = os.path.join(a.work, "reference"), os.path.join(a.work, "killed")
    for d in (ref, kr):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        if a.dataset:
            shutil.copy(a.dataset, os.path.join(d, "dataset.h5"))

    base = [a.udeflow, a.command, "-options_file", a.case] + a.extra
    if run(launcher(a.np) + base + ["-output_dir", ref], os.path.join(a.work, "reference.log"), a.timeout):
        print("reference run failed; see", os.path.join(a.work, "reference.log"))
        return 1

    rng = random.Random(a.seed)
    cmd = launcher(a.np) + base + ["-output_dir", kr, "-%sresume" % prefix, "latest"]
    log = os.path.join(a.work, "killed.log")
    progress = re.compile(r"^(?:train|bsde it) +([0-9]+) ")
    span = range(a.min_iter, a.max_iter + 1)
    if len(span) < a.kills:
        print("--min-iter/--max-iter leave fewer than --kills iterations")
        return 1
    targets = sorted(set(rng.sample(span, a.kills)) | set(a.kill_at))
    landed = 0
    with open(log, "w") as f:
        for k, target in enumerate(targets):
            # Kill at an iteration plus a random delay: anywhere in an iteration, in a
            # checkpoint write, in a replay, in start-up or shut-down.
            delay = rng.uniform(0, a.jitter)
            f.write("=== start %d: kill %.3f s after iteration %d\n" % (k + 1, delay, target))
            f.flush()
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                    start_new_session=True)
            seen, killed = -1, False
            timer = None
            for line in proc.stdout:
                f.write(line)
                m = progress.match(line)
                if m:
                    seen = int(m.group(1))
                    if seen >= target and timer is None:
                        timer = threading.Timer(delay, kill_session, (proc.pid,))
                        timer.start()
            rc = proc.wait()
            if timer is not None:
                timer.join()
                killed = rc != 0
                kill_session(proc.pid)  # no rank may outlive the kill
                time.sleep(0.1)
            f.flush()
            if killed:
                landed += 1
                print("run %d killed %.3f s after iteration %d" % (k + 1, delay, target))
                continue
            if rc:
                print("resumed run %d failed (exit %d); see %s" % (k + 1, rc, log))
                return 1
            print("run %d finished before its kill (last iteration %d, kill at %d)" % (k + 1, seen, target))
            break
        else:
            f.write("=== final run\n")
            f.flush()
            if subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, timeout=a.timeout).returncode:
                print("final resumed run failed; see", log)
                return 1
    print("%d kill(s) landed before the end" % landed)
    with open(log) as f:
        text = f.read()
    for req in a.require:
        if req not in text:
            print("FAIL: no '%s' in the killed runs' output (%s)" % (req, log))
            return 1
        print("seen: '%s' (%d times)" % (req, text.count(req)))
    rc = subprocess.run([sys.executable, COMPARE, ref, kr, "--files", a.files]).returncode
    if landed < a.min_kills:
        print("FAIL: only %d kill(s) landed (need %d): lower --max-iter or lengthen the run"
              % (landed, a.min_kills))
        return 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
