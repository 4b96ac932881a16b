#!/usr/bin/env python3
"""Trains and evaluates cases over their seeds and writes results/REPORT.md.

    scripts/reproduce.sh [--np 2] [--seeds 1,2,3] [--short] [--no-rerun] [--out DIR]
                         [--options "-opt value ..."] [case ...]

For every case (default: all of cases/*.yaml) and every seed, runs the case's command
sequence (its `udeflow_commands` line, as scripts/run.sh does) into
<out>/<case>/seed<s>/, adding the case's seed options to every step: the
`udeflow_seed_options` line of the case file with {seed} replaced (default
"-closure_seed {seed} -train_seed {seed}" for training cases: the network's
initialization and the batch order; "-bsde_seed {seed}" for BSDE cases). The seeds are
the case's `udeflow_seeds` line unless --seeds is given (default 1,2,3).

From each step's output it reads the figures the step prints (evaluate's tables and
ratios, what the learned closure says about the physics, discover's recovered terms and
extrapolation errors, bsde's u(0,x0) against the references, train's final loss) and
writes, per case, a table of every figure as mean +- sd over the seeds with the value of
each seed, the commands, wall time and peak memory, and the case's figures (plots of
the first seed). The build a section names is the one the runs' HDF5 files record (the
binary's commit, which may differ from the tree's when UDEFLOW_BUILD_DIR is another
checkout's build); runs written by more than one build (a rebuild during the run) name
every commit and whether their compiled sources differ, with a warning. The udeflow
program's sha256 is taken when the run starts, checked before every step (a rebuild
during a report run stops it with one line) and given in each section. Unless --no-rerun, the first seed is run a second time into
<out>/<case>/rerun/ and compared bit for bit with scripts/compare_results.py: the report
says whether the rerun was identical.

The report goes to <out>/REPORT.md (default out: results; REPORT.md is written last,
through a temporary file, so a failed run leaves the previous report in place). With
--short every step gets case_table.py's shortening options (few iterations): for testing
the pipeline, not for publishing.
"""
import argparse
import datetime
import hashlib
import math
import os
import re
import shlex
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import case_table  # noqa: E402  (run_step, steps_of, case_key)

ROOT = case_table.ROOT
DEFAULT_SEED_OPTIONS = {
    "bsde": "-bsde_seed {seed}",
    "train": "-closure_seed {seed} -train_seed {seed}",
}
NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def seed_options(case_file, commands):
    value = case_table.case_key(case_file, "udeflow_seed_options")
    if value is not None:
        return value
    return DEFAULT_SEED_OPTIONS["bsde" if "bsde" in commands else "train"]


# ---------------------------------------------------------------- figures from the output


# The blocks of evaluate's variant table (title -> figure name); untitled: older builds.
VARIANT_BLOCKS = {"": "MAE", "MAE": "MAE", "MAE on closure grid": "MAE on the closure's grid",
                  "survival": "survival time", "TV growth": "TV growth"}


def figures_evaluate(text, out):
    """evaluate: the closure table, the variant table, the model comparison, the ratios and
    what the learned closure says about the physics."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if "MAE on closure grid" in line:  # model, cells, MAE, MAE on closure grid, survival
            for row in lines[i + 1:]:
                m = re.match(r"^  (\S.*?)\s+(\d+)\s+(\S+)\s+(\S+)\s+(%s)\s+(%s)$" % (NUM, NUM), row)
                if not m:
                    break
                name = "%s, %s cells" % (m.group(1), m.group(2))
                out[name + ": MAE"] = _num(m.group(3))
                out[name + ": MAE on the closure's grid"] = _num(m.group(4))
                out[name + ": survival time"] = float(m.group(5))
        m = re.match(r"^  (MAE on closure grid|MAE|survival|TV growth|)\s+((?:\s*\S+ cells)+)$", line)
        if m:  # the variant tables: one column per resolution
            what = VARIANT_BLOCKS[m.group(1)]
            cells = re.findall(r"(\S+) cells", m.group(2))
            for row in lines[i + 1:]:
                parts = row.split()
                if not row.startswith("  ") or len(parts) != len(cells) + 1 or parts[0] == "MAE":
                    break
                for c, v in zip(cells, parts[1:]):
                    out["%s at %s cells: %s" % (parts[0], c, what)] = _num(v)
        if re.match(r"^  model\s+\S+.*\bmean$", line):  # the model comparison (MSE)
            for row in lines[i + 1:]:
                parts = row.split()
                if not row.startswith("  ") or len(parts) < 2:
                    break
                out["%s: MSE, mean over the held-out trajectories" % parts[0]] = _num(parts[-1])
    for m in re.finditer(r"^evaluate: at (\d+) cells the learned model has (%s)x the error of the best "
                         r"variant \((\S+)\)" % NUM, text, re.M):
        out["learned / best variant at %s cells (MAE; best %s)" % (m.group(1), m.group(3))] = float(m.group(2))
    for m in re.finditer(r"^evaluate: (\S+ / \S+ MSE ratio) (%s)" % NUM, text, re.M):
        out[m.group(1)] = float(m.group(2))
    for m in re.finditer(r"^evaluate: (\S+) mean MSE of (\S+) (%s)$" % NUM, text, re.M):
        out["%s: MSE, mean over the %s trajectories" % (m.group(2), m.group(1))] = float(m.group(3))
    for m in re.finditer(r"^evaluate: (\S+): (\S+ / \S+ MSE ratio) (%s)$" % NUM, text, re.M):
        out["%s, %s trajectories" % (m.group(2), m.group(1))] = float(m.group(3))
    for m in re.finditer(r"^evaluate: (\S+) error growth (\S+) \(RMS error at the end", text, re.M):
        out["%s: error growth after a quarter of the horizon (largest)" % m.group(1)] = _num(m.group(2))
    # Both on the closure's grid.  (Builds before 2026-12-03 printed this ratio against the
    # finer scheme's error on its own grid, without "on the N-cell grid": not parsed.)
    for m in re.finditer(r"^evaluate: closure at (\d+) cells has (%s)x the error of the un-closed "
                         r"scheme at (\d+) cells on the (\d+)-cell grid" % NUM, text, re.M):
        out["closure %s / un-closed %s cells (MAE on the %s-cell grid)" % (
            m.group(1), m.group(3), m.group(4))] = float(m.group(2))
    # The closure against a strong baseline scheme (-evaluate_baseline_scheme), same grid.
    for m in re.finditer(r"^evaluate: closure at (\d+) cells has (%s)x the error of (\S+) at (\d+) "
                         r"cells \(\S+x\) on the (\d+)-cell grid" % NUM, text, re.M):
        out["closure %s / %s %s cells (MAE on the %s-cell grid)" % (
            m.group(1), m.group(3), m.group(4), m.group(5))] = float(m.group(2))
    m = re.search(r"D_eff = .*?= (%s) \(truth .*?relative error (%s)\)" % (NUM, NUM), text)
    if m:
        out["learned D_eff"] = float(m.group(1))
        out["learned D_eff: relative error"] = float(m.group(2))
    m = re.search(r"learned reaction: max_\[0,1\] \|NN\(rho\) - r rho\(1-rho\)\| = (%s)" % NUM, text)
    if m:
        out["learned reaction: max error on [0, 1]"] = float(m.group(1))


def figures_discover(text, out):
    """discover: per unknown, whether the regression on the learned U found exactly the true
    terms and the relative error of its coefficients; the extrapolation errors."""
    for m in re.finditer(r"^  (learned U|FD data)\s+(U\d+) .*?\[(.*)\]$", text, re.M):
        who = "network" if m.group(1) == "learned U" else "FD data"
        name = "%s from the %s" % (m.group(2), who)
        detail = m.group(3)
        out[name + ": exactly the true terms (1 = yes)"] = 1.0 if "exactly the true ones" in detail else 0.0
        errs = [abs(float(e)) for e in re.findall(r"\((%s)%%\)" % NUM, detail)]
        if errs and "exactly the true ones" in detail:
            out[name + ": largest coefficient error (%)"] = max(errs)
    m = re.search(r"recovered model \(learned U\) (\S+), recovered model \(FD data\) (\S+), "
                  r"trained UDE \(network\) (\S+)", text)
    if m:
        for who, v in zip(("recovered model (network)", "recovered model (FD data)",
                           "trained network alone"), m.groups()):
            out["extrapolation error, " + who] = _num(v.rstrip(","))
    m = re.search(r"^discover: extrapolation to t = \S+ from (\d+) held-out initial state", text, re.M)
    if m:
        out["held-out initial states"] = float(m.group(1))
        cols = ("max error", "amplitude error", "period error", "phase drift (periods)")
        for row in re.finditer(r"^  (recovered model \(learned U\)|recovered model \(FD data\)|"
                               r"trained UDE \(network\))\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$",
                               text[m.end():], re.M):
            who = {"recovered model (learned U)": "recovered model (network)",
                   "recovered model (FD data)": "recovered model (FD data)",
                   "trained UDE (network)": "trained network alone"}[row.group(1)]
            for c, v in zip(cols, row.groups()[1:]):
                out["held-out extrapolation, %s: %s" % (who, c)] = _num(v)


def figures_bsde(text, out):
    m = re.search(r"^bsde: done: .*?u\(0,x0\) = (%s)(?:, reference (%s), rel\.err (%s) \(trivial "
                  r"answer (%s)\))?" % (NUM, NUM, NUM, NUM), text, re.M)
    if m:
        out["u(0,x0)"] = float(m.group(1))
        if m.group(3):
            out["relative error"] = float(m.group(3))
            out["relative error of the trivial answer"] = float(m.group(4))
    m = re.search(r"against the own reference (%s): rel\.err (%s)" % (NUM, NUM), text)
    if m:
        out["relative error against the own reference"] = float(m.group(2))


def figures_train(text, out):
    m = None
    for m in re.finditer(r"^train: (\d+) iterations in (%s) s, last loss (%s)" % (NUM, NUM), text, re.M):
        pass
    if m:
        out["final training loss"] = float(m.group(3))


FIGURES = {"evaluate": figures_evaluate, "discover": figures_discover, "bsde": figures_bsde,
           "train": figures_train}


def _num(s):
    if s.startswith("diverged"):
        return float("inf")
    try:
        return float(s)
    except ValueError:
        return float("nan")  # "-" or "undefined"


# ---------------------------------------------------------------- running


COMMANDS = ("generate", "train", "evaluate", "discover", "diagnose", "bsde")


def options_for(cmd, options):
    """The seed options a step gets: an option named after another command (-generate_*,
    -train_*, ...) only goes to that command's steps; the rest (-closure_seed) to all."""
    out, i = [], 0
    while i < len(options):
        name = options[i]
        value = [options[i + 1]] if i + 1 < len(options) and not re.match(r"^-[A-Za-z]", options[i + 1]) else []
        owner = next((c for c in COMMANDS if name.startswith("-%s_" % c)), None)
        if owner in (None, cmd):
            out += [name] + value
        i += 1 + len(value)
    return out


def udeflow_binary():
    """The udeflow program the steps run (case_table.run_step's)."""
    return os.path.join(os.environ.get("UDEFLOW_BUILD_DIR", os.path.join(ROOT, "build")), "udeflow")


def binary_digest():
    """sha256 of the udeflow program (16 hex digits), or None if there is none."""
    try:
        h = hashlib.sha256()
        with open(udeflow_binary(), "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()[:16]
    except OSError:
        return None


def run_seed(a, case, seed, out):
    """Runs the case's steps for one seed; returns (figures, seconds, peak KiB).  The
    program must be the one the report run started with (a.binary) before every step: a
    rebuild during a report run (another commit, or uncommitted changes at the same one)
    stops it, since one report is one build's."""
    case_file = os.path.join("cases", case + ".yaml")
    steps = case_table.steps_of(os.path.join(ROOT, case_file))
    extra = shlex.split(seed_options(case_file, ",".join(steps)).replace("{seed}", str(seed)))
    extra += shlex.split(a.options or "")  # after the seed options: the last value wins
    os.makedirs(out, exist_ok=True)
    figures, seconds, peak = {}, 0.0, 0
    with open(os.path.join(out, "reproduce.log"), "w") as log:
        log.write("# reproduce %s seed %d\n# binary %s sha256 %s\n# tree %s\n" % (
            case, seed, udeflow_binary(), a.binary, a.tree))
        if a.options:
            log.write("# options %s\n" % a.options)
        for step in steps:
            now = binary_digest()
            if a.binary and now != a.binary:
                raise RuntimeError("the udeflow program %s changed since this report run started "
                                   "(sha256 %s, now %s: rebuilt?); one report is one build's, so "
                                   "run it again" % (udeflow_binary(), a.binary, now))
            s, kb, _ = case_table.run_step(a.np, step, case_file, out, a.short, log,
                                           options_for(shlex.split(step)[0], extra))
            seconds, peak = seconds + s, max(peak, kb)
    figures = figures_of_log(os.path.join(out, "reproduce.log"))
    plot = os.path.join(ROOT, "scripts", "plot", case + ".py")
    if os.path.isfile(plot):
        subprocess.run(["/usr/bin/python3", plot, out], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return figures, seconds, peak, steps, extra


def figures_of_log(path):
    """The figures printed by the steps logged in a seed's reproduce.log."""
    figures = {}
    text = open(path).read()
    for block in text.split("\n$ ")[1:]:
        words = block.split("\n", 1)[0].split()
        cmd = words[words.index("-options_file") - 1]
        if cmd in FIGURES:
            found = {}
            FIGURES[cmd](block, found)
            figures.update(found)  # a later step of the same command wins (train twice)
    return figures


def seed_from_log(case, out):
    """--from-logs: what run_seed returned, read back from a finished run in `out`: the
    figures, wall time and peak memory (the TIME lines of /usr/bin/time), the steps and
    seed options; and the build and date of the run (provenance of its HDF5 files)."""
    log = os.path.join(out, "reproduce.log")
    if not os.path.isfile(log):
        raise RuntimeError("no run to read: %s is missing" % log)
    text = open(log).read()
    times = [(float(m.group(1)), int(m.group(2))) for m in re.finditer(r"^TIME ([\d.]+) (\d+)$", text, re.M)]
    case_file = os.path.join("cases", case + ".yaml")
    steps = case_table.steps_of(os.path.join(ROOT, case_file))
    if len(times) != len(steps):
        raise RuntimeError("%s has %d finished steps of %d" % (log, len(times), len(steps)))
    builds = builds_in(out)
    build = min(builds, key=lambda b: b[1]) if builds else None
    return (figures_of_log(log), sum(t for t, _ in times), max(kb for _, kb in times), steps,
            None), build


def builds_in(out):
    """The builds that wrote a run's HDF5 files: {(commit, date, ranks)}, from the
    provenance attributes every udeflow HDF5 file carries (the binary's own commit, which
    need not be the tree's: UDEFLOW_BUILD_DIR may be another checkout's build)."""
    import h5py  # only here: the report itself needs no HDF5
    builds = set()
    if not os.path.isdir(out):
        return builds
    for f in sorted(f for f in os.listdir(out) if f.endswith(".h5")):
        try:
            with h5py.File(os.path.join(out, f), "r") as h5:
                at = h5.attrs
                text = lambda k: at[k].decode() if isinstance(at[k], bytes) else str(at[k])
                if "udeflow_git_commit" in at:
                    builds.add((text("udeflow_git_commit")[:7], text("udeflow_started")[:10],
                                text("udeflow_ranks")))
        except OSError:
            pass
    return builds


def provenance(a, c, dirs, tree=None):
    """The "from udeflow ..." text of case c's section: the commits recorded by the runs'
    HDF5 files in `dirs` (and the tree the case files came from, if given and different).
    Several commits are named with whether their compiled sources (src, include, CMake
    files) differ: a rebuild during a report run must not pass unnoticed."""
    commits = sorted({b[0] for d in dirs for b in builds_in(d)})
    if not commits:
        return tree or "git unknown"
    head = tree.split()[1].split("-")[0] if tree and len(tree.split()) > 1 else ""
    match = lambda x: head and head != "unknown" and (head.startswith(x) or x.startswith(head))
    if len(commits) == 1 and match(commits[0]):
        return tree  # the usual case: the tree's own build (its -dirty note kept)
    text = "git " + ", ".join(commits)
    if len(commits) > 1:
        code = ["src", "include", "CMakeLists.txt", "cmake"]
        same = all(subprocess.run(["git", "-C", ROOT, "diff", "--quiet", commits[0], x, "--"] + code,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
                   for x in commits[1:])
        text += (" (the runs' HDF5 files record %d builds; their compiled sources are %s)" %
                 (len(commits), "identical" if same else "**different**"))
        print("reproduce.sh: warning: case %s was run by %d builds (%s)%s" % (
            c, len(commits), ", ".join(commits), "" if same else " with DIFFERENT compiled sources"),
            file=sys.stderr)
    if head and head != "unknown" and not any(match(x) for x in commits):
        text += "; case files and scripts from %s" % tree
    return text


def identical(a_dir, b_dir):
    p = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "compare_results.py"),
                        a_dir, b_dir], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    return p.returncode == 0, p.stdout.strip().splitlines()[-1:] or [""]


def mean_sd(values):
    """Mean and sample sd of the finite values; the text of the table cell."""
    v = [x for x in values if math.isfinite(x)]
    bad = sum(1 for x in values if math.isinf(x))
    if not v:
        return "diverged" if bad else "-"
    m = sum(v) / len(v)
    sd = math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1)) if len(v) > 1 else 0.0
    text = "%s ± %s" % (fmt(m), fmt(sd))
    if len(v) < len(values):
        text += " (%d of %d seeds%s)" % (len(v), len(values), "; the others diverged" if bad else "")
    return text


def fmt(x):
    if math.isinf(x):
        return "diverged"
    if math.isnan(x):
        return "-"
    if x == int(x) and abs(x) < 1e6:
        return "%d" % x
    return "%.4g" % x


def per_trajectory(a, case, seeds):
    """The closure-against-baseline comparisons evaluate prints (on the closure's grid) per
    held-out trajectory, pooled over the seeds: a spread over seeds *and* held-out data,
    read from each seed's evaluate.h5 (test_*/closure_<N>/mae and
    test_*/<scheme>_<M>/mae_closure_grid).  Lines of a markdown table, or []."""
    dirs = [os.path.join(a.out, case, "seed%d" % s) for s in seeds]
    logs = [os.path.join(d, "reproduce.log") for d in dirs]
    files = [os.path.join(d, "evaluate.h5") for d in dirs]
    if not all(os.path.isfile(f) for f in logs + files):
        return []
    pairs = []  # (closure cells, group of the compared model, its label, its cells)
    for m in re.finditer(r"^evaluate: closure at (\d+) cells has \S+x the error of (.+?) at (\d+) "
                         r"cells (?:\(\d+x\) )?on the \d+-cell grid", open(logs[0]).read(), re.M):
        label = m.group(2)
        group = "baseline" if label == "the un-closed scheme" else label
        if (m.group(1), group, m.group(3)) not in [(p[0], p[1], p[3]) for p in pairs]:
            pairs.append((m.group(1), group, label, m.group(3)))
    strong = [p for p in pairs if p[1] != "baseline"]  # -evaluate_baseline_scheme, if any
    pairs = strong or pairs
    if not pairs:
        return []
    import h5py  # only here: the report itself needs no HDF5
    rows = []
    for n, group, label, cells in pairs:
        closure, other, ratio = [], [], []
        for f in files:
            with h5py.File(f, "r") as h5:
                for t in sorted(k for k in h5 if k.startswith("test_")):
                    c = "closure_%s" % n
                    b = "%s_%s" % (group, cells)
                    # a model on the closure's own grid has no separate closure-grid error
                    key = "mae" if cells == n else "mae_closure_grid"
                    if c not in h5[t] or b not in h5[t] or key not in h5[t][b]:
                        return []
                    mc = float(h5[t][c]["mae"][:].mean())
                    mb = float(h5[t][b][key][:].mean())
                    closure.append(mc)
                    other.append(mb)
                    ratio.append(mc / mb)
        k = len(ratio)
        below = sum(1 for r in ratio if r <= 1)
        rows.append("| closure %s cells / %s %s cells, ratio per trajectory | %s | %s - %s | %d of %d |" % (
            n, label, cells, mean_sd(ratio), fmt(min(ratio)), fmt(max(ratio)), below, k))
        row = "| closure %s cells: MAE per trajectory | %s | %s - %s | |" % (
            n, mean_sd(closure), fmt(min(closure)), fmt(max(closure)))
        if row not in rows:
            rows.append(row)
        rows.append("| %s %s cells: MAE on the %s-cell grid per trajectory | %s | %s - %s | |" % (
            label, cells, n, mean_sd(other), fmt(min(other)), fmt(max(other))))
    ntraj = k // len(seeds)
    return ["", "Per held-out trajectory, pooled over the seeds (%d seeds x %d trajectories; each "
            "trajectory's MAE averaged over its snapshots, from the seeds' evaluate.h5; the table "
            "above divides the mean MAEs instead):" % (len(seeds), ntraj), "",
            "| figure | mean ± sd | range | at or below 1 |", "|---|---|---|---|"] + rows


def case_section(a, case, seeds, runs, rerun, commands):
    """One case's part of the report."""
    figures, seconds, peak, steps, _ = runs[seeds[0]]
    names = []  # in the order of the seed with most figures, then any others
    for s in sorted(seeds, key=lambda s: -len(runs[s][0])):
        names += [n for n in runs[s][0] if n not in names]
    lines = ["## %s (cases/%s.yaml)" % (case, case), ""]
    lines.append("Run on %s from udeflow %s." % (getattr(a, "run_date", None) or
                                                  datetime.date.today().isoformat(), a.describe))
    lines.append("Seeds %s, %d rank(s)%s; options per seed: `%s`%s. Steps: `%s`." % (
        ",".join(map(str, seeds)), a.np, ", **short runs (pipeline test, not results)**" if a.short else "",
        seed_options(os.path.join("cases", case + ".yaml"), ",".join(steps)),
        "; **a variant of the case**, every step also gets `%s`" % a.options if a.options else "",
        "`, `".join(steps)))
    if getattr(a, "binaries", None):
        lines.append("Program: sha256 %s (checked before every step)." % ", ".join(sorted(a.binaries)))
    lines.append("Wall time per seed %s s; peak memory per rank %.0f MB (largest over the seeds)." % (
        ", ".join("%.0f" % runs[s][1] for s in seeds), max(runs[s][2] for s in seeds) / 1024.0))
    if rerun is not None:
        same, detail = rerun
        lines.append("Rerun of seed %d: %s." % (seeds[0], "bit-identical results" if same else
                                               "**differs** (%s)" % detail[0]))
    lines.append("Command: `%s`" % commands)
    note = case_table.case_key(os.path.join(ROOT, "cases", case + ".yaml"), "udeflow_report_note")
    if note:  # what the case is for, from the case file (e.g. a demonstration, not a result)
        lines += ["", "**Note (from the case file):** %s" % note]
    lines += ["", "| figure | mean ± sd | " + " | ".join("seed %d" % s for s in seeds) + " |",
              "|---|---|" + "---|" * len(seeds)]
    for n in names:
        vals = [runs[s][0].get(n, float("nan")) for s in seeds]
        lines.append("| %s | %s | %s |" % (n, mean_sd(vals), " | ".join(fmt(v) for v in vals)))
    lines += per_trajectory(a, case, seeds)
    # The first seed's plots, copied next to the report (results/figures/<case>/), so the
    # report and its figures can be kept without the runs.
    first = os.path.join(a.out, case, "seed%d" % seeds[0])
    pngs = sorted(f for f in os.listdir(first) if f.endswith(".png")) if os.path.isdir(first) else []
    if pngs:
        figs = os.path.join(a.out, "figures", case)
        shutil.rmtree(figs, ignore_errors=True)
        os.makedirs(figs)
        for p in pngs:
            shutil.copy(os.path.join(first, p), figs)
        lines += ["", "Figures of seed %d:" % seeds[0], ""]
        lines += ["![%s](figures/%s/%s)" % (p, case, p) for p in pngs]
    return "\n".join(lines) + "\n"


def kept_sections(path, replaced):
    """The sections of an existing report for cases not rerun now: {case: text}."""
    if not os.path.isfile(path):
        return {}
    parts = re.split(r"^(?=## \S+ \(cases/)", open(path).read(), flags=re.M)[1:]
    out = {}
    for part in parts:
        case = part.split()[1]
        if case not in replaced:
            out[case] = part.rstrip("\n") + "\n"
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--np", type=int, default=2)
    ap.add_argument("--seeds", help="comma-separated seeds (default: the case's udeflow_seeds, or 1,2,3)")
    ap.add_argument("--short", action="store_true")
    ap.add_argument("--no-rerun", action="store_true", help="skip the rerun of the first seed")
    ap.add_argument("--out", default="results")
    ap.add_argument("--options", metavar="'-opt value ...'",
                    help="a variant of the case (an ablation): options added to every step after the "
                         "seed options (an option named after a command, -train_*, only to that "
                         "command's steps); needs --out, so that the case's own section in "
                         "results/REPORT.md is never replaced by a variant's")
    ap.add_argument("--from-logs", action="store_true",
                    help="run nothing: rebuild the named cases' sections from the finished runs in "
                         "<out>/<case>/seed<s>/ (and rerun/, if there), e.g. after a change of the "
                         "figures' parser; the build and date are those the runs recorded")
    ap.add_argument("--tree", dest="from_tree", metavar="COMMIT",
                    help="with --from-logs: the commit the runs were started from, for runs whose "
                         "logs predate their '# tree' line (2026-12-05)")
    ap.add_argument("cases", nargs="*")
    a = ap.parse_args()
    os.chdir(ROOT)
    a.out = os.path.abspath(a.out)
    a.tree = a.describe = git_describe()  # the tree the runs start from
    a.binary = None if a.from_logs else binary_digest()  # the program the runs must all use
    cases = a.cases or sorted(f[:-5] for f in os.listdir("cases") if f.endswith(".yaml"))
    for c in cases:
        if not os.path.isfile(os.path.join("cases", c + ".yaml")):
            sys.exit("reproduce.sh: error: no case file cases/%s.yaml" % c)
    if a.from_tree and not a.from_logs:
        sys.exit("reproduce.sh: error: option --tree: only with --from-logs")
    if a.from_tree and subprocess.run(["git", "-C", ROOT, "rev-parse", "--verify", "--quiet",
                                       a.from_tree + "^{commit}"], stdout=subprocess.DEVNULL).returncode:
        sys.exit("reproduce.sh: error: option --tree: '%s' is not a commit of this repository" % a.from_tree)
    if a.options is not None and os.path.abspath(a.out) == os.path.join(ROOT, "results"):
        sys.exit("reproduce.sh: error: option --options: give --out DIR as well (a variant's "
                 "section must not replace the case's own in results/REPORT.md)")
    if a.options is not None and a.from_logs:
        sys.exit("reproduce.sh: error: option --options: not with --from-logs (the runs' logs "
                 "record their options)")
    if a.seeds is not None and not re.match(r"^\d+(,\d+)*$", a.seeds):
        sys.exit("reproduce.sh: error: option --seeds: expected comma-separated integers, got '%s'" % a.seeds)
    path = os.path.join(a.out, "REPORT.md")
    sections = kept_sections(path, cases)
    for c in cases:
        case_file = os.path.join("cases", c + ".yaml")
        seeds = [int(s) for s in (a.seeds or case_table.case_key(case_file, "udeflow_seeds") or "1,2,3").split(",")]
        if a.from_logs:
            runs, rerun = runs_from_logs(a, c, seeds)
        else:
            runs, rerun = run_case(a, c, seeds)
        command = "scripts/reproduce.sh --np %d --seeds %s%s%s %s" % (
            a.np, ",".join(map(str, seeds)), " --short" if a.short else "",
            " --options %s --out DIR" % shlex.quote(a.options) if a.options else "", c)
        sections[c] = case_section(a, c, seeds, runs, rerun, command)
        write_report(path, sections)  # after every case: an interrupted run keeps the cases done
    print("reproduce.sh: wrote %s" % path)


def runs_from_logs(a, c, seeds):
    """--from-logs: the runs and rerun comparison of case c read back from disk; sets the
    build, date and rank count the report states to those the runs recorded."""
    runs, rerun, builds = {}, None, {}
    for s in seeds:
        try:
            runs[s], builds[s] = seed_from_log(c, os.path.join(a.out, c, "seed%d" % s))
        except RuntimeError as e:
            sys.exit("reproduce.sh: error: case %s seed %d: %s" % (c, s, e))
        if not builds[s]:
            sys.exit("reproduce.sh: error: case %s seed %d: no udeflow HDF5 file with its "
                     "build in the run" % (c, s))
    ranks = {b[2] for b in builds.values()}
    if len(ranks) != 1:
        sys.exit("reproduce.sh: error: case %s: the seeds' runs come from different rank "
                 "counts %s" % (c, sorted(ranks)))
    _, a.run_date, np_ = builds[seeds[0]]
    a.np = int(np_)
    again = os.path.join(a.out, c, "rerun")
    # The tree the runs started from: their logs' "# tree" line (runs since 2026-12-05),
    # else --tree.
    first = open(os.path.join(a.out, c, "seed%d" % seeds[0], "reproduce.log")).read()
    m = re.search(r"^# options (.+)$", first, re.M)
    a.options = m.group(1) if m else None  # a variant's runs (--options)
    m = re.search(r"^# tree (git .+)$", first, re.M)
    tree = m.group(1) if m else ("git " + a.from_tree if a.from_tree else None)
    a.describe = provenance(a, c, [os.path.join(a.out, c, "seed%d" % s) for s in seeds] + [again], tree)
    a.binaries = set()  # the programs the seeds' logs name (runs since 2026-12-04)
    for d in [os.path.join(a.out, c, "seed%d" % s) for s in seeds] + [again]:
        log = os.path.join(d, "reproduce.log")
        if os.path.isfile(log):
            m = re.search(r"^# binary \S+ sha256 (\w+)$", open(log).read(), re.M)
            if m and m.group(1) != "None":
                a.binaries.add(m.group(1))
    if os.path.isdir(again):
        rerun = identical(os.path.join(a.out, c, "seed%d" % seeds[0]), again)
    return runs, rerun


def run_case(a, c, seeds):
    """Runs case c over its seeds (and the rerun of the first unless --no-rerun)."""
    runs, rerun = {}, None
    for s in seeds:
        out = os.path.join(a.out, c, "seed%d" % s)
        print("== %s seed %d -> %s" % (c, s, out), flush=True)
        try:
            runs[s] = run_seed(a, c, s, out)
        except RuntimeError as e:
            sys.exit("reproduce.sh: error: case %s seed %d: %s (%s/reproduce.log)" % (c, s, e, out))
        print("   %.0f s: %d figures" % (runs[s][1], len(runs[s][0])), flush=True)
    if not a.no_rerun:
        out = os.path.join(a.out, c, "rerun")
        print("== %s seed %d again -> %s" % (c, seeds[0], out), flush=True)
        try:
            run_seed(a, c, seeds[0], out)
        except RuntimeError as e:
            sys.exit("reproduce.sh: error: case %s rerun: %s (%s/reproduce.log)" % (c, e, out))
        rerun = identical(os.path.join(a.out, c, "seed%d" % seeds[0]), out)
        print("   rerun %s" % ("bit-identical" if rerun[0] else "DIFFERS: " + rerun[1][0]), flush=True)
    a.describe = provenance(a, c, [os.path.join(a.out, c, d) for d in
                                   ["seed%d" % s for s in seeds] + ["rerun"]], a.tree)
    a.binaries = {a.binary} if a.binary else set()
    return runs, rerun


def write_report(path, sections):
    head = ["# Results reproduced", "",
            "Written by `scripts/reproduce.sh` (scripts/docs/reproduce.py). Every figure is "
            "the mean ± sample standard deviation over the seeds, with each seed's value "
            "beside it; the runs are in `<case>/seed<s>/` next to this file. Each case's "
            "section says when and from which build it was run; sections of cases not rerun "
            "are kept as they were.", ""]
    with open(path + ".partial", "w") as f:
        f.write("\n".join(head) + "\n" + "\n".join(sections[c] for c in sorted(sections)))
    os.replace(path + ".partial", path)


def git_describe():
    """git describe of the tree, naming the uncommitted files if any."""
    p = subprocess.run(["git", "-C", ROOT, "describe", "--always"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, universal_newlines=True)
    text = "git " + (p.stdout.strip() or "unknown")
    # Uncommitted changes outside results/ (the report and its figures are not the build).
    q = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True)
    files = [line[3:] for line in q.stdout.splitlines() if not line[3:].startswith("results/")]
    if files:
        text += "-dirty (uncommitted changes to %s)" % ", ".join(files[:8] + (["..."] if len(files) > 8 else []))
    return text


if __name__ == "__main__":
    main()
