#!/usr/bin/env python3
"""scripts/reproduce.sh end to end on the Lotka-Volterra case, short runs, two seeds:

  - every seed's run lands in <out>/lotka_volterra/seed<s>/ and the rerun of the first
    seed is reported bit-identical (compare_results.py on the two directories);
  - the seeds differ (the case's udeflow_seed_options reach every step: the noise, the
    initial weights and the batch order), so the final losses of the two seeds differ;
  - every figure row of REPORT.md holds the values printed in that seed's log, and its
    mean +- sd is computed from them;
  - a bad --seeds value and an unknown case are one line naming them, exit code non-zero,
    and leave no REPORT.md;
  - --from-logs rebuilds the same section (figures, seeds, rerun, wall time, and the build
    and tree named, the tree from the logs' "# tree" line) from the runs on disk, and
    refuses a case without runs with one line naming the missing log; --tree is refused
    without --from-logs and for a name that is not a commit;
  - the per-trajectory table (closure against the baseline evaluate compares it with,
    pooled over seeds and held-out trajectories) holds the mean +- sd, range and count at or
    below 1 of synthetic evaluate.h5 files, and is left out when a file lacks a group;
  - the section names the build its runs' HDF5 files record and the program's sha256; runs
    written by two builds (one file's commit changed here) are named with both commits,
    whether their compiled sources differ, and a warning; a program that changes during a
    report run (a wrapper that rewrites itself) stops it before the next step, with no
    REPORT.md;
  - a variant (--options) is refused without --out and with --from-logs; its options reach
    the steps they belong to, after the seed options, and the section names them.
Usage: reproduce_report.py --build BUILD_DIR --work DIR
"""
import argparse
import math
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def run(args, env):
    return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "docs", "reproduce.py")] + args,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, env=env)


def builds_of(d):
    """The commits (7 characters) recorded by the udeflow HDF5 files of a run directory."""
    import h5py
    out = set()
    for f in os.listdir(d):
        if f.endswith(".h5"):
            with h5py.File(os.path.join(d, f), "r") as h5:
                if "udeflow_git_commit" in h5.attrs:
                    c = h5.attrs["udeflow_git_commit"]
                    out.add((c.decode() if isinstance(c, bytes) else str(c))[:7])
    return sorted(out)


def check_per_trajectory(work):
    """reproduce.per_trajectory on synthetic runs: 2 seeds x 3 held-out trajectories whose
    closure and WENO5 errors are known, against the statistics computed here."""
    import types
    import h5py
    import numpy
    sys.path.insert(0, os.path.join(ROOT, "scripts", "docs"))
    import reproduce
    out = os.path.join(work, "per_trajectory")
    closure = {1: [1.0e-3, 2.0e-3, 4.0e-3], 2: [1.5e-3, 2.5e-3, 3.0e-3]}
    weno = [2.0e-3, 2.0e-3, 2.0e-3]
    for s in (1, 2):
        d = os.path.join(out, "burgers", "seed%d" % s)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "reproduce.log"), "w") as f:
            f.write("evaluate: closure at 16 cells has 1.23x the error of weno5 at 64 cells (4x) on "
                    "the 16-cell grid (MAE 1e-3 vs 1e-3, survival 1.00 vs 1.00; does not reach it)\n"
                    "evaluate: closure at 16 cells has 1.23x the error of the un-closed scheme at 64 "
                    "cells on the 16-cell grid (MAE 1e-3 vs 1e-3; does not reach it)\n")
        with h5py.File(os.path.join(d, "evaluate.h5"), "w") as h5:
            for k in range(3):
                g = h5.create_group("test_%d" % (101 + k))
                # snapshots whose mean is the trajectory's MAE
                g["closure_16/mae"] = closure[s][k] * numpy.array([0.5, 1.5])
                g["weno5_64/mae_closure_grid"] = weno[k] * numpy.array([1.0, 1.0])
                g["baseline_64/mae_closure_grid"] = weno[k] * numpy.array([3.0, 1.0])
    a = types.SimpleNamespace(out=out)
    lines = reproduce.per_trajectory(a, "burgers", [1, 2])
    ratios = [c / w for s in (1, 2) for c, w in zip(closure[s], weno)]
    m = sum(ratios) / 6
    sd = math.sqrt(sum((r - m) ** 2 for r in ratios) / 5)
    row = [x for x in lines if x.startswith("| closure 16 cells / weno5 64 cells, ratio per trajectory")]
    want = "| %s ± %s | %s - %s | %d of 6 |" % (reproduce.fmt(m), reproduce.fmt(sd), reproduce.fmt(min(ratios)),
                                                reproduce.fmt(max(ratios)), sum(r <= 1 for r in ratios))
    if len(row) != 1 or not row[0].endswith(want):
        fail("per-trajectory ratio row: expected ...%s, got:\n%s" % (want, "\n".join(lines)))
    if any("un-closed" in x for x in lines) or "2 seeds x 3 trajectories" not in "\n".join(lines):
        fail("per-trajectory table: the strong baseline only, 2 seeds x 3 trajectories:\n%s" % "\n".join(lines))
    with h5py.File(os.path.join(out, "burgers", "seed2", "evaluate.h5"), "r+") as h5:
        del h5["test_103/weno5_64"]
    if reproduce.per_trajectory(a, "burgers", [1, 2]):
        fail("per-trajectory table written although seed 2 lacks test_103/weno5_64")
    # A baseline on the closure's own grid (fisher_kpp's classical scheme): evaluate writes
    # only its "mae", which is then the error on the closure's grid.
    d = os.path.join(out, "fisher", "seed1")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "reproduce.log"), "w") as f:
        f.write("evaluate: closure at 26 cells has 0.50x the error of classical at 26 cells (1x) on "
                "the 26-cell grid (MAE 1e-3 vs 2e-3, survival 5.00 vs 5.00; matches or beats it)\n")
    with h5py.File(os.path.join(d, "evaluate.h5"), "w") as h5:
        for k, (c, b) in enumerate([(1.0e-3, 2.0e-3), (3.0e-3, 2.0e-3)]):
            h5["test_%d/closure_26/mae" % (k + 1)] = c * numpy.array([0.5, 1.5])
            h5["test_%d/classical_26/mae" % (k + 1)] = b * numpy.array([1.0, 1.0])
    lines = reproduce.per_trajectory(a, "fisher", [1])
    row = [x for x in lines if x.startswith("| closure 26 cells / classical 26 cells, ratio per trajectory")]
    if len(row) != 1 or not row[0].endswith("| 1 ± 0.7071 | 0.5 - 1.5 | 1 of 2 |"):
        fail("per-trajectory row of a same-grid baseline: got\n%s" % "\n".join(lines))
    return m


def check_variant(work, env):
    """--options (a variant of a case): refused without --out and with --from-logs; the
    options reach the steps they name after the seed options (-train_* only train), the
    log records them, the section and its command say so, and --from-logs keeps them."""
    for args, msg in ((["--options", "-train_lr 0.02", "lotka_volterra"],
                       "option --options: give --out DIR as well"),
                      (["--from-logs", "--options", "-train_lr 0.02", "--out", work, "lotka_volterra"],
                       "option --options: not with --from-logs")):
        p = run(args, env)
        if p.returncode == 0 or msg not in p.stdout:
            fail("expected an error naming '%s', got exit %d: %s" % (msg, p.returncode, p.stdout))
    out = os.path.join(work, "variant")
    base = ["--np", "1", "--seeds", "1", "--short", "--no-rerun", "--out", out]
    p = run(base + ["--options", "-train_lr 0.02 -truth_lv_ic_spread 0.25", "lotka_volterra"], env)
    if p.returncode != 0:
        fail("a variant run exited %d: %s" % (p.returncode, p.stdout))
    log = open(os.path.join(out, "lotka_volterra", "seed1", "reproduce.log")).read()
    if "# options -train_lr 0.02 -truth_lv_ic_spread 0.25" not in log:
        fail("the log does not record the variant's options")
    for cmd, want, unwanted in (("generate", "-truth_lv_ic_spread 0.25", "-train_lr"),
                                ("train", "-train_seed 1 -train_lr 0.02 -truth_lv_ic_spread 0.25", None)):
        line = [x for x in log.splitlines() if re.match(r"^\$ .* %s -options_file" % cmd, x)]
        if not line or want not in line[0] or (unwanted and unwanted in line[0]):
            fail("the %s step's command line: %s (expected '%s' after the seed options%s)"
                 % (cmd, line, want, ", no '%s'" % unwanted if unwanted else ""))
    section = open(os.path.join(out, "REPORT.md")).read()
    want = "**a variant of the case**, every step also gets `-train_lr 0.02 -truth_lv_ic_spread 0.25`"
    command = "--options '-train_lr 0.02 -truth_lv_ic_spread 0.25' --out DIR lotka_volterra`"
    if want not in section or command not in section:
        fail("the variant's section does not say so:\n%s" % section[:900])
    p = run(["--from-logs", "--seeds", "1", "--short", "--out", out, "lotka_volterra"], env)
    again = open(os.path.join(out, "REPORT.md")).read()
    if p.returncode != 0 or want not in again or command not in again:
        fail("--from-logs lost the variant's options (exit %d):\n%s" % (p.returncode, again[:900]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    env = dict(os.environ, UDEFLOW_BUILD_DIR=a.build)
    for args, msg in ((["--seeds", "1,x"], "option --seeds: expected comma-separated integers"),
                      (["nocase"], "no case file cases/nocase.yaml")):
        p = run(["--out", a.work] + args, env)
        if p.returncode == 0 or msg not in p.stdout:
            fail("expected an error naming '%s', got exit %d: %s" % (msg, p.returncode, p.stdout))
    if os.path.exists(os.path.join(a.work, "REPORT.md")):
        fail("a refused run left a REPORT.md")
    p = run(["--np", "1", "--seeds", "1,2", "--short", "--out", a.work, "lotka_volterra"], env)
    print(p.stdout)
    if p.returncode != 0:
        fail("reproduce.py exited %d" % p.returncode)
    report = open(os.path.join(a.work, "REPORT.md")).read()
    if "Rerun of seed 1: bit-identical results." not in report:
        fail("the rerun of seed 1 is not reported bit-identical")
    rows = {}
    for line in report.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 4 and cells[0] not in ("figure",):
            rows[cells[0]] = cells[1:]
    for need in ("final training loss", "held-out initial states",
                 "held-out extrapolation, recovered model (FD data): period error"):
        if need not in rows:
            fail("no row '%s' in REPORT.md" % need)
    losses = []
    for s in (1, 2):
        log = open(os.path.join(a.work, "lotka_volterra", "seed%d" % s, "reproduce.log")).read()
        m = re.findall(r"last loss (\S+);", log)
        if not m:
            fail("seed %d: no final loss in its log" % s)
        losses.append(float(m[-1]))
        for cmd, opts in (("generate", "-generate_noise_seed %d -closure_seed %d" % (s, s)),
                          ("train", "-closure_seed %d -train_seed %d" % (s, s))):
            if not re.search(r"^\$ .* %s .*%s" % (cmd, opts), log, re.M):
                fail("seed %d: '%s' is not on the %s command line" % (s, opts, cmd))
        if float(rows["final training loss"][s]) != float("%.4g" % losses[-1]):
            fail("seed %d: report %s, log %g" % (s, rows["final training loss"][s], losses[-1]))
    if losses[0] == losses[1]:
        fail("the two seeds end at the same loss %g: the seed options had no effect" % losses[0])
    # --short generates test seed 101 only (case_table.py's SHORT): one held-out state.
    if rows["held-out initial states"][1:] != ["1", "1"]:
        fail("expected 1 held-out initial state per seed, got %s" % rows["held-out initial states"])
    m = re.match(r"(\S+) ± (\S+)$", rows["final training loss"][0])
    mean = sum(losses) / 2
    sd = math.sqrt(sum((x - mean) ** 2 for x in losses))
    if not m or abs(float(m.group(1)) - mean) > 1e-3 * mean or abs(float(m.group(2)) - sd) > 1e-3 * sd:
        fail("mean ± sd %s, expected %.4g ± %.4g" % (rows["final training loss"][0], mean, sd))
    # --from-logs rebuilds the same section from the runs on disk without running anything.
    section = report[report.index("## lotka_volterra "):]
    p = run(["--from-logs", "--seeds", "1,2", "--short", "--out", a.work, "lotka_volterra"], env)
    if p.returncode != 0:
        fail("--from-logs exited %d: %s" % (p.returncode, p.stdout))
    again = open(os.path.join(a.work, "REPORT.md")).read()
    again = again[again.index("## lotka_volterra "):]
    keep = lambda t: [x for x in t.splitlines() if x.startswith("|") or x.startswith("Seeds ") or
                      x.startswith("Rerun ") or x.startswith("Wall time ") or x.startswith("Command")]
    run_line = lambda t: [x for x in t.splitlines() if x.startswith("Run on ")]
    if run_line(again) != run_line(section):  # the tree, from the logs' "# tree" line
        fail("--from-logs names another build or tree: %s, the run: %s" % (run_line(again), run_line(section)))
    for args, msg in ((["--tree", "HEAD", "lotka_volterra"], "option --tree: only with --from-logs"),
                      (["--from-logs", "--tree", "nosuchcommit", "lotka_volterra"],
                       "option --tree: 'nosuchcommit' is not a commit")):
        p = run(["--out", a.work] + args, env)
        if p.returncode == 0 or msg not in p.stdout:
            fail("expected an error naming '%s', got exit %d: %s" % (msg, p.returncode, p.stdout))
    if keep(again) != keep(section):
        fail("--from-logs gave another section:\n%s\nfirst:\n%s" % ("\n".join(keep(again)),
                                                                      "\n".join(keep(section))))
    # Provenance: the section names the commit the binary recorded in the runs' HDF5 files;
    # runs written by two builds (a rebuild during a report run) are named, both of them.
    commit = builds_of(os.path.join(a.work, "lotka_volterra", "seed1"))
    if len(commit) != 1 or not re.search(r"^Run on \S+ from udeflow git %s" % commit[0], section, re.M):
        fail("the section does not name the runs' build %s:\n%s" % (commit, section[:400]))
    import h5py
    import numpy
    first = sorted(f for f in os.listdir(os.path.join(a.work, "lotka_volterra", "rerun"))
                   if f.endswith(".h5"))[0]
    with h5py.File(os.path.join(a.work, "lotka_volterra", "rerun", first), "r+") as h5:
        h5.attrs["udeflow_git_commit"] = numpy.bytes_("0" * 40)  # fixed length, as udeflow's
    p = run(["--from-logs", "--seeds", "1,2", "--short", "--out", a.work, "lotka_volterra"], env)
    mixed = open(os.path.join(a.work, "REPORT.md")).read()
    want = r"from udeflow git 0000000, %s \(the runs' HDF5 files record 2 builds; their compiled sources are \*\*different\*\*\)" % commit[0]
    if p.returncode != 0 or not re.search(want, mixed) or "run by 2 builds" not in p.stdout:
        fail("two builds in one case's runs: expected /%s/ and a warning, got exit %d:\n%s\n%s"
             % (want, p.returncode, p.stdout, mixed[mixed.index("## lotka_volterra "):][:400]))
    if not re.search(r"^Program: sha256 [0-9a-f]{16} \(checked before every step\)\.$", section, re.M):
        fail("the section does not give the program's sha256:\n%s" % section[:600])
    # A rebuild during a report run stops it: a wrapper program that changes itself when
    # first run (as a rebuild would) passes the first step and is refused before the second.
    fake = os.path.join(a.work, "rebuilt")
    os.makedirs(fake, exist_ok=True)
    with open(os.path.join(fake, "udeflow"), "w") as f:
        f.write('#!/bin/sh\necho "# rebuilt" >> "$0"\nexec %s "$@"\n' % os.path.join(a.build, "udeflow"))
    os.chmod(os.path.join(fake, "udeflow"), 0o755)
    out = os.path.join(a.work, "rebuilt_out")
    p = run(["--np", "1", "--seeds", "1", "--short", "--no-rerun", "--out", out, "lotka_volterra"],
            dict(env, UDEFLOW_BUILD_DIR=fake))
    if p.returncode == 0 or "changed since this report run started" not in p.stdout:
        fail("a program rebuilt during the run: expected an error, got exit %d: %s" % (p.returncode, p.stdout))
    if os.path.exists(os.path.join(out, "REPORT.md")):
        fail("the refused run left a REPORT.md")
    check_variant(a.work, env)
    p = run(["--from-logs", "--out", a.work, "fisher_kpp"], env)
    if p.returncode == 0 or "reproduce.log is missing" not in p.stdout:
        fail("--from-logs without runs: expected an error naming the missing log, got exit %d: %s"
             % (p.returncode, p.stdout))
    ratio = check_per_trajectory(a.work)
    print("reproduce_report: ok (losses %s; rerun bit-identical; --from-logs the same; per-trajectory "
          "ratio %.4g)" % (losses, ratio))


if __name__ == "__main__":
    main()
