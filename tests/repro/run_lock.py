#!/usr/bin/env python3
"""A second training run on the same training state is refused while the first runs, and
a killed run's lock does not block the resume.

    run_lock.py --udeflow build/udeflow --case tests/cli/lv_tiny.yaml --work dir
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--udeflow", required=True)
    p.add_argument("--case", required=True)
    p.add_argument("--work", required=True)
    a = p.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    ude = [a.udeflow]
    opts = ["-options_file", a.case, "-output_dir", a.work]
    if subprocess.run(ude + ["generate"] + opts, stdout=subprocess.DEVNULL).returncode:
        print("generate failed")
        return 1
    long = opts + ["-train_iterations", "100000", "-train_monitor_every", "1", "-train_resume", "latest"]
    first = subprocess.Popen(ude + ["train"] + long, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             start_new_session=True)
    for line in first.stdout:  # wait until it trains
        if line.startswith("train      2 "):
            break
    second = subprocess.run(ude + ["train"] + long, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    os.killpg(first.pid, signal.SIGKILL)  # one process, no mpiexec: its group is itself
    first.wait()
    print(second.stdout.strip().splitlines()[-1])
    ok = second.returncode != 0 and "another udeflow run (pid %d) is writing" % first.pid in second.stdout
    if not ok:
        print("FAIL: the second run was not refused (exit %d)" % second.returncode)
        return 1
    # The kernel released the dead run's lock: a resume goes ahead.
    third = subprocess.run(ude + ["train"] + opts + ["-train_iterations", "5", "-train_resume", "latest"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if third.returncode != 0:
        print(third.stdout)
        print("FAIL: the run after the killed one did not start")
        return 1
    print("ok: refused while the first ran; a new run went ahead after it was killed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
