#!/usr/bin/env python3
"""A second run writing the same output directory is refused while the first runs
(train, and every other command that writes there: generate, evaluate, discover,
diagnose, bsde), and a killed run's lock does not block the resume.

    run_lock.py --udeflow build/udeflow --case tests/cli/lv_tiny.yaml --work dir \
        [--advection tests/cli/advection_tiny.yaml --bsde cases/hjb100.yaml]
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
    p.add_argument("--advection", help="case file for diagnose")
    p.add_argument("--bsde", help="case file for bsde")
    a = p.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    ude = [a.udeflow]
    opts = ["-options_file", a.case, "-output_dir", a.work]
    if subprocess.run(ude + ["generate"] + opts, stdout=subprocess.DEVNULL).returncode:
        print("generate failed")
        return 1
    # A finished model and dataset elsewhere, for the commands that read them.
    prep = os.path.join(a.work, "prep")
    prep_opts = ["-options_file", a.case, "-output_dir", prep]
    for cmd in (["generate"], ["train", "-train_iterations", "2", "-train_lbfgs_iterations", "0"]):
        if subprocess.run(ude + cmd + prep_opts, stdout=subprocess.DEVNULL).returncode:
            print("%s in %s failed" % (cmd[0], prep))
            return 1
    inputs = ["-model", os.path.join(prep, "model.h5"), "-dataset", os.path.join(prep, "dataset.h5")]
    others = {"generate": ude + ["generate"] + opts,
              "evaluate": ude + ["evaluate"] + opts + inputs + ["-evaluate_baselines", "1"],
              "discover": ude + ["discover"] + opts + inputs}
    if a.advection:
        others["diagnose"] = ude + ["diagnose", "-options_file", a.advection, "-output_dir", a.work]
    if a.bsde:
        others["bsde"] = ude + ["bsde", "-options_file", a.bsde, "-output_dir", a.work, "-bsde_dim", "4",
                                "-bsde_iterations", "2"]
    long = opts + ["-train_iterations", "100000", "-train_monitor_every", "1", "-train_resume", "latest"]
    first = subprocess.Popen(ude + ["train"] + long, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             start_new_session=True)
    for line in first.stdout:  # wait until it trains
        if line.startswith("train      2 "):
            break
    second = subprocess.run(ude + ["train"] + long, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    refused = {}
    for name, cmd in others.items():
        refused[name] = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    os.killpg(first.pid, signal.SIGKILL)  # one process, no mpiexec: its group is itself
    first.wait()
    print(second.stdout.strip().splitlines()[-1])
    expected = "another udeflow run (pid %d) is writing" % first.pid
    ok = second.returncode != 0 and expected in second.stdout
    if not ok:
        print("FAIL: the second run was not refused (exit %d)" % second.returncode)
        return 1
    for name, r in refused.items():
        errors = [line for line in r.stdout.splitlines() if line.startswith("udeflow: error")]
        if r.returncode == 0 or len(errors) != 1 or expected not in errors[0]:
            print(r.stdout)
            print("FAIL: %s writing the same directory was not refused with one line (exit %d)"
                  % (name, r.returncode))
            return 1
        print("%-9s refused: %s" % (name, errors[0]))
    # The kernel released the dead run's lock: a resume goes ahead.
    third = subprocess.run(ude + ["train"] + opts + ["-train_iterations", "5", "-train_resume", "latest"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if third.returncode != 0:
        print(third.stdout)
        print("FAIL: the run after the killed one did not start")
        return 1
    # So do the other commands.
    for name in ("generate", "discover"):
        r = subprocess.run(others[name], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            print(r.stdout)
            print("FAIL: %s after the run ended did not go ahead" % name)
            return 1
    print("ok: %d commands refused while the first ran; runs went ahead after it was killed" % (1 + len(refused)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
