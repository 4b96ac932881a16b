"""Requeue-safe runs: a generate stopped by a signal exits 0 and leaves no dataset behind;
a training run stopped by a signal writes a checkpoint and exits 0, and
`-train_resume latest` / `-bsde_resume latest` ends with the parameters and history of an
uninterrupted run, bit for bit.  Usage (run by ctest, tests/viz/CMakeLists.txt):
    /usr/bin/python3 signal_resume.py pde  <udeflow> <tiny.yaml> <workdir> <mpiexec...>
    /usr/bin/python3 signal_resume.py bsde <udeflow> <case.yaml> <workdir> <mpiexec...>
PDE: SIGTERM to rank 1 only (the ranks must agree to stop at the same iteration).
BSDE: SIGUSR1 to mpiexec, which forwards it to every rank."""
import os
import shutil
import signal
import subprocess
import sys
import time

try:
    import h5py
    import numpy as np
except ImportError as e:
    print("SKIP: needs h5py:", e)
    sys.exit(77)

kind, ude, case, work = sys.argv[1:5]
mpiexec = sys.argv[5:]


def run(args, check=True):
    p = subprocess.run(mpiexec + [ude] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check and p.returncode != 0:
        print(p.stdout)
        raise SystemExit("command failed: %s" % " ".join(args))
    return p.stdout


def children(pid):
    """The child processes of `pid`: those of every thread (/proc/<pid>/task/<pid>/children
    lists only the main thread's; Open MPI 4.1 forks from the main thread here, another
    version need not), and a scan of /proc for the parent pid when that gives fewer than two."""
    out = set()
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                    out.update(int(x) for x in f.read().split())
            except OSError:
                pass
    except OSError:
        pass
    if len(out) < 2:
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open("/proc/%s/stat" % d) as f:
                        if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                            out.add(int(d))
                except (OSError, IndexError, ValueError):
                    pass
    return sorted(out)


def interrupted_run(args, marker, sig, to_rank1):
    """Starts the run, waits for `marker` in its output, sends the signal, returns output."""
    p = subprocess.Popen(mpiexec + [ude] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    sent = False
    for line in p.stdout:
        lines.append(line)
        if not sent and marker in line:
            if to_rank1:
                ranks = children(p.pid)
                assert len(ranks) >= 2, ("rank processes not found", ranks, "".join(lines))
                os.kill(ranks[1], sig)
            else:
                os.kill(p.pid, sig)
            sent = True
    rc = p.wait()
    text = "".join(lines)
    assert sent, "the run ended before the signal was sent:\n" + text
    assert rc == 0, "interrupted run exited with %d:\n%s" % (rc, text)
    return text


def compare_results(a, b, files):
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "compare_results.py")
    p = subprocess.run([sys.executable, script, a, b, "--files", files], stdout=subprocess.PIPE, text=True)
    print(p.stdout, end="")
    assert p.returncode == 0, "results of the resumed run differ from the uninterrupted run's"


def fresh(d):
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)


if kind == "pde":
    # generate stopped by the wall-time signal between trajectories: exit 0, a clear line,
    # and no dataset (nor partial file) left behind for a requeued job to trip over.
    g = os.path.join(work, "generate_stopped")
    fresh(g)
    text = interrupted_run(["generate", "-options_file", case, "-output_dir", g, "-generate_train_seeds",
                            ",".join(str(s) for s in range(1, 13)), "-generate_duration", "40"],
                           "generate: trajectory 1/", signal.SIGUSR1, to_rank1=False)
    assert "SIGUSR1 received: stopping after trajectory" in text, text
    assert "of 13; no dataset written" in text, text
    left = [f for f in os.listdir(g) if f.startswith("dataset")]
    assert not left, ("a stopped generate left files behind", left)
    print("generate: " + [l for l in text.splitlines() if "received: stopping" in l][0])
    data = os.path.join(work, "data")
    fresh(data)
    run(["generate", "-options_file", case, "-output_dir", data, "-generate_train_seeds", "1,2", "-generate_test_seeds", "101"])
    common = ["train", "-options_file", case, "-dataset", os.path.join(data, "dataset.h5"), "-train_iterations", "300",
              "-train_checkpoint_every", "0", "-train_resume", "latest", "-train_monitor_every", "1"]
    a, b = os.path.join(work, "uninterrupted"), os.path.join(work, "interrupted")
    fresh(a)
    fresh(b)
    out = run(common + ["-output_dir", a])
    assert "no checkpoint" in out and "starting from iteration 0" in out, out
    text = interrupted_run(common + ["-output_dir", b], "train      5 ", signal.SIGTERM, to_rank1=True)
    assert "SIGTERM received: stopping after iteration" in text, text
    assert not os.path.exists(os.path.join(b, "model.h5")), "an interrupted run must not write the model"
    with h5py.File(os.path.join(b, "train_state.h5"), "r") as f:
        stopped = f.attrs["iteration"]
        theta_stop = f["theta"][:]
    assert 5 < stopped < 300, stopped
    out = run(common + ["-output_dir", b])
    assert "resuming from %s/train_state.h5 at iteration %d" % (b, stopped) in out, out
    ta = h5py.File(os.path.join(a, "model.h5"), "r")["theta"][:]
    tb = h5py.File(os.path.join(b, "model.h5"), "r")["theta"][:]
    diff = np.abs(ta - tb).max() / np.abs(ta).max()
    moved = np.abs(theta_stop - ta).max() / np.abs(ta).max()
    print("pde: stopped at iteration %d of 300; max |theta_resumed - theta| / max|theta| = %.3e "
          "(theta moved by %.3e after the stop)" % (stopped, diff, moved))
    # Bit for bit: the resumed run is the uninterrupted one.
    assert ta.tobytes() == tb.tobytes(), "resumed theta differs from the uninterrupted run's (%.3e)" % diff
    assert moved > 1e-6, moved
    compare_results(a, b, "model.h5,train_history.csv")
else:
    common = ["bsde", "-options_file", case, "-bsde_iterations", "200", "-bsde_valid_every", "20",
              "-bsde_resume", "latest", "-bsde_final_samples", "0"]
    a, b = os.path.join(work, "bsde_uninterrupted"), os.path.join(work, "bsde_interrupted")
    fresh(a)
    fresh(b)
    out = run(common + ["-output_dir", a])
    assert "no checkpoint" in out, out
    text = interrupted_run(common + ["-output_dir", b], "bsde it      20 ", signal.SIGUSR1, to_rank1=False)
    assert "stop signal received: stopped after iteration" in text, text
    stopped = h5py.File(os.path.join(b, "bsde_checkpoint.h5"), "r").attrs["iteration"]
    assert 20 <= stopped < 200, stopped
    out = run(common + ["-output_dir", b])
    assert "resumed at iteration %d" % stopped in out, out
    pa = h5py.File(os.path.join(a, "bsde_checkpoint.h5"), "r")["params"][:]
    pb = h5py.File(os.path.join(b, "bsde_checkpoint.h5"), "r")["params"][:]
    diff = np.abs(pa - pb).max() / np.abs(pa).max()
    print("bsde: stopped at iteration %d of 200; max |params_resumed - params| / max|params| = %.3e" % (stopped, diff))
    assert pa.tobytes() == pb.tobytes(), "resumed parameters differ from the uninterrupted run's (%.3e)" % diff
    compare_results(a, b, "bsde_checkpoint.h5,bsde_history.csv")
print("ok")
