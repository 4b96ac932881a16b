#!/usr/bin/env python3
"""Compare udeflow's training methods on one ODE case, over several seeds.

    /usr/bin/python3 scripts/compare_methods.py [--case lotka_volterra_long] [--seeds 1,2,3]
        [--methods all] [--jobs 2] [--out results/methods_<case>] [--short]
    /usr/bin/python3 scripts/compare_methods.py --case fisher_kpp      (a PDE case)
    /usr/bin/python3 scripts/compare_methods.py --recovery [--noise-seeds 1,2,3,4,5]

Methods (the case file's options, then these; every method starts from the same untrained
network for a given seed, -closure_seed = -train_seed = seed):
  single_shooting      -train_method shooting (trainable u0, whole horizon)
  growing_windows      single shooting on horizons 20,40,80,120,160,200 (50 iterations each)
  multiple_shooting    -train_method multiple_shooting (the case's 40 segments)
  collocation          -train_method collocation (no solve: f fitted to the smoothed data's
                       derivative, bandwidth by leave-one-out cross-validation)
  colloc_then_shooting -train_method shooting -train_init_collocation 200
  pem                  -train_method pem -train_pem_gain 5 -train_pem_gain_iterations 200
  colloc_then_ms       -train_method multiple_shooting -train_init_collocation 200
A PDE case (its udeflow_commands end with evaluate): windows (the case's own),
multiple_shooting (5 segments), collocation, colloc_then_windows (1000 collocation
iterations first), pem (K 2 -> 0 over 1000 iterations); held-out MAE from evaluate and the
learned terms it reports.
All use the case's budget (-train_iterations Adam iterations, then -train_lbfgs_iterations
L-BFGS iterations); the collocation stage counts within the Adam iterations.

Printed per method, mean +- sd over the seeds:
  misfit    the plain single-shooting data misfit of the trained UDE: mean over the observed
            snapshots and components of (u(t_k) - y_k)^2 / 2, the UDE integrated from the
            exact initial state (discover.h5 /extrapolation/ude, linearly interpolated to
            the data times).  One observable for every method (a method's own training
            loss is not comparable: multiple shooting's has trainable nodes and a
            continuity penalty, collocation's is a derivative misfit).
  loss      the method's own final training loss (train_history.csv)
  evals     gradient evaluations through the solver (Adam iterations + TAO objective
            evaluations), + those of collocation (no solve, ~1000x cheaper)
  err20     max_t |u - u_true| / max_t |u_true| of the trained UDE over the training horizon
  ext       the same to t = discover's -discover_extrapolate_to (discover error_ude)
  recovered how many seeds' STLSQ equation (discover, learned U) has exactly the true terms
  wall      training wall time (s)

--recovery: on cases/lotka_volterra.yaml (31 noisy samples), for each noise seed, training
through the solver (the case's method) vs collocation alone: how often STLSQ recovers
exactly the xy terms.

Results go to --out/<method>_s<seed>/ (each run's logs and files); the table also to
--out/summary.txt.  Runs on 1 MPI rank each, --jobs at a time.
"""
import argparse
import concurrent.futures as cf
import csv
import math
import os
import re
import statistics
import subprocess
import sys

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

METHODS = {
    "single_shooting": ["-train_method", "shooting", "-train_shooting_segments", "1"],
    "growing_windows": ["-train_method", "shooting", "-train_shooting_segments", "1",
                        "-train_window_schedule",
                        "20,40,80,120,160,200", "-train_window_schedule_iterations", "50",
                        "-tao_ls_type", "armijo"],
    "multiple_shooting": ["-train_method", "multiple_shooting"],
    "collocation": ["-train_method", "collocation", "-train_shooting_segments", "0"],
    "colloc_then_shooting": ["-train_method", "shooting", "-train_shooting_segments", "1",
                             "-train_init_collocation", "200"],
    "pem": ["-train_method", "pem", "-train_shooting_segments", "1", "-train_pem_gain", "5",
            "-train_pem_gain_iterations", "200"],
    "colloc_then_ms": ["-train_method", "multiple_shooting", "-train_init_collocation", "200"],
}


# A PDE case (its commands end with evaluate, not discover): the methods that apply to a
# grid and its held-out evaluation.  The budget is the case's Adam iterations, then 2500
# L-BFGS iterations (cases/fisher_kpp.yaml's second stage) in the same run.
PDE_METHODS = {
    "windows": [],
    "multiple_shooting": ["-train_method", "multiple_shooting", "-train_shooting_segments", "5"],
    "collocation": ["-train_method", "collocation"],
    "colloc_then_windows": ["-train_init_collocation", "1000"],
    "pem": ["-train_method", "pem", "-train_pem_gain", "2", "-train_pem_gain_iterations", "1000"],
}
PDE_EXTRA = ["-train_lbfgs_iterations", "2500", "-tao_gatol", "1e-12", "-tao_grtol", "0",
             "-tao_gttol", "0"]


def udeflow(build, args, log):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    with open(log, "w") as f:
        r = subprocess.run(["mpiexec", "-n", "1", os.path.join(build, "udeflow")] + args,
                           stdout=f, stderr=subprocess.STDOUT, env=env)
    return r.returncode


def read_history(path):
    return list(csv.DictReader(line for line in open(path) if not line.startswith("#")))


def tao_evaluations(out):
    """Objective evaluations of the L-BFGS phase (the training state's count)."""
    path = os.path.join(out, "train_state.h5")
    if not os.path.exists(path):
        return 0
    with h5py.File(path, "r") as f:
        return int(f.attrs.get("tao_evaluations", 0))


def support_exact(f):
    learned, true = f["/coefficients/learned"][()], f["/coefficients/true"][()]
    return bool(np.array_equal(learned != 0, true != 0))


def score_pde(out):
    """Held-out MAE and the learned terms of a PDE run (from evaluate.log)."""
    r = score_training(out)
    text = open(os.path.join(out, "evaluate.log")).read() if os.path.exists(
        os.path.join(out, "evaluate.log")) else ""
    m = re.search(r"learned closure\s+\d+\s+(\S+)", text)
    r["mae"] = float(m.group(1)) if m and m.group(1)[0].isdigit() else math.inf
    m = re.search(r"D_eff = .*?relative error ([0-9.e+-]+)", text)
    r["d_err"] = float(m.group(1)) if m else math.nan
    m = re.search(r"learned reaction: max_\[0,1\] \|NN\(rho\) - r rho\(1-rho\)\| = ([0-9.e+-]+)", text)
    r["r_err"] = float(m.group(1)) if m else math.nan
    return r


def score_training(out):
    r = {}
    hist = read_history(os.path.join(out, "train_history.csv"))
    r["loss"] = float(hist[-1]["loss"]) if hist else math.nan
    # Collocation iterations (window 0) need no solve: counted apart from solver gradients.
    colloc = sum(1 for h in hist if h["phase"] == "adam" and int(h["window"]) == 0)
    solver = sum(1 for h in hist if h["phase"] == "adam" and int(h["window"]) > 0)
    tao = tao_evaluations(out)
    lbfgs_colloc = any(h["phase"] == "lbfgs" and int(h["window"]) == 0 for h in hist)
    r["evals"] = solver + (0 if lbfgs_colloc else tao)
    r["colloc_evals"] = colloc + (tao if lbfgs_colloc else 0)
    m = re.search(r"in ([0-9.]+) s, last loss", open(os.path.join(out, "train.log")).read())
    r["wall"] = float(m.group(1)) if m else math.nan
    return r


def score(out):
    """The figures of one finished run (None where a step failed)."""
    r = score_training(out)
    path = os.path.join(out, "discover.h5")
    if not os.path.exists(path):
        r.update(misfit=math.inf, err20=math.inf, ext=math.inf, recovered=False)
        return r
    with h5py.File(path, "r") as f:
        te, ude, truth = (f["/extrapolation/t"][()], f["/extrapolation/ude"][()],
                          f["/extrapolation/truth"][()])
        td, yd = f["/data/t"][()], f["/data/state"][()]
        r["ext"] = float(f["/extrapolation"].attrs["error_ude"])
        r["recovered"] = support_exact(f)
    if ude.shape[0] != te.size:  # (components, times) -> (times, components)
        ude, truth = ude.T, truth.T
    if yd.shape[0] != td.size:
        yd = yd.T
    if not np.all(np.isfinite(ude)):
        r.update(misfit=math.inf, err20=math.inf)
        return r
    pred = np.stack([np.interp(td, te, ude[:, i]) for i in range(ude.shape[1])], axis=1)
    r["misfit"] = float(np.mean((pred - yd) ** 2) / 2)
    on = te <= np.max(td) + 1e-9  # the training horizon
    r["err20"] = float(np.max(np.abs(ude[on] - truth[on])) / np.max(np.abs(truth[on])))
    return r


def fmt(values, spec="%.3g"):
    v = [x for x in values if x is not None]
    if not v:
        return "-"
    if any(not math.isfinite(x) for x in v):
        bad = sum(1 for x in v if not math.isfinite(x))
        ok = [x for x in v if math.isfinite(x)]
        return ("%d diverged" % bad) + ("; " + fmt(ok, spec) if ok else "")
    if len(v) == 1:
        return spec % v[0]
    return (spec + " +- " + spec) % (statistics.mean(v), statistics.stdev(v))


def run_one(args, case, data, method, seed, extra):
    out = os.path.join(args.out, "%s_s%d" % (method, seed))
    last = "evaluate" if args.pde else "discover"
    done = os.path.join(out, "evaluate.log" if args.pde else "discover.h5")
    if args.reuse and os.path.exists(done):
        return method, seed, out  # finished by an earlier invocation
    os.makedirs(out, exist_ok=True)
    common = ["-options_file", case, "-output_dir", out, "-dataset", data,
              "-closure_seed", str(seed), "-train_seed", str(seed)] + extra
    if udeflow(args.build, ["train"] + common + args.methods_table[method],
               os.path.join(out, "train.log")):
        return method, seed, None
    udeflow(args.build, [last] + common + (["-model", os.path.join(out, "model.h5")] if args.pde else []),
            os.path.join(out, last + ".log"))
    return method, seed, out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--case", default="lotka_volterra_long")
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--methods", default="all")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--out", default=None)
    p.add_argument("--build", default=os.environ.get("UDEFLOW_BUILD_DIR", os.path.join(ROOT, "build")))
    p.add_argument("--short", action="store_true", help="a few iterations (checks the script)")
    p.add_argument("--reuse", action="store_true",
                   help="keep runs finished by an earlier invocation (same --out)")
    p.add_argument("--recovery", action="store_true")
    p.add_argument("--noise-seeds", default="1,2,3,4,5")
    args = p.parse_args()
    if not os.path.exists(os.path.join(args.build, "udeflow")):
        sys.exit("compare_methods: no udeflow binary in %s (build first: scripts/setup.sh)" % args.build)
    if args.recovery:
        return recovery(args)
    case = os.path.join(ROOT, "cases", args.case + ".yaml")
    if not os.path.exists(case):
        sys.exit("compare_methods: option --case: no file %s" % case)
    commands = re.search(r"^udeflow_commands:(.*)$", open(case).read(), re.M)
    args.pde = bool(commands) and "discover" not in commands.group(1)
    table_ = PDE_METHODS if args.pde else METHODS
    args.methods_table = table_
    methods = list(table_) if args.methods == "all" else args.methods.split(",")
    for m in methods:
        if m not in table_:
            sys.exit("compare_methods: option --methods: unknown method '%s' (known: %s)"
                     % (m, ", ".join(table_)))
    seeds = [int(s) for s in args.seeds.split(",")]
    args.out = args.out or os.path.join("results", "methods_" + args.case)
    os.makedirs(args.out, exist_ok=True)
    extra = list(PDE_EXTRA) if args.pde else []
    if args.short and args.pde:
        extra = ["-train_iterations", "4", "-train_lbfgs_iterations", "2"]
        PDE_METHODS["colloc_then_windows"][-1] = "2"
    elif args.short:
        extra = ["-train_iterations", "4", "-train_lbfgs_iterations", "2"]
        METHODS["colloc_then_shooting"][-1] = "2"
        METHODS["colloc_then_ms"][-1] = "2"
        METHODS["growing_windows"][5] = "40,200"
        METHODS["growing_windows"][7] = "2"
    data_dir = os.path.join(args.out, "data")
    os.makedirs(data_dir, exist_ok=True)
    if not (args.reuse and os.path.exists(os.path.join(data_dir, "dataset.h5"))) and udeflow(
            args.build, ["generate", "-options_file", case, "-output_dir", data_dir],
            os.path.join(data_dir, "generate.log")):
        sys.exit("compare_methods: generate failed (see %s/generate.log)" % data_dir)
    data = os.path.join(data_dir, "dataset.h5")
    results = {m: [] for m in methods}
    with cf.ThreadPoolExecutor(args.jobs) as ex:
        futs = [ex.submit(run_one, args, case, data, m, s, extra) for s in seeds for m in methods]
        for fu in cf.as_completed(futs):
            m, s, out = fu.result()
            r = (score_pde(out) if args.pde else score(out)) if out else None
            results[m].append(r)
            key = "mae" if args.pde else "misfit"
            print("  done %-22s seed %d: %s" % (m, s, "train failed" if r is None else
                  "%s %.3g, loss %.3g, %d solver evaluations, %.0f s" % (key, r[key], r["loss"], r["evals"], r["wall"])),
                  flush=True)
    (table_pde if args.pde else table)(args, methods, seeds, results)


def table(args, methods, seeds, results):
    lines = ["compare_methods: case %s, seeds %s (mean +- sd over seeds)" % (args.case, ",".join(map(str, seeds))),
             "%-22s %-22s %-22s %-28s %-22s %-22s %-10s %-14s" % (
                 "method", "misfit", "own loss", "evals (solver + colloc)", "err [0,T]", "extrapolation", "recovered", "wall s")]
    for m in methods:
        rs = [r for r in results[m] if r]
        failed = len(results[m]) - len(rs)
        g = lambda k: [r[k] for r in rs]
        lines.append("%-22s %-22s %-22s %-28s %-22s %-22s %-10s %-14s%s" % (
            m, fmt(g("misfit")), fmt(g("loss")), fmt(g("evals"), "%.0f") + " + " + fmt(g("colloc_evals"), "%.0f"), fmt(g("err20")),
            fmt(g("ext")), "%d/%d" % (sum(g("recovered")), len(results[m])), fmt(g("wall"), "%.0f"),
            ("  (%d runs failed to train)" % failed) if failed else ""))
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(args.out, "summary.txt"), "w") as f:
        f.write(text + "\n")


def table_pde(args, methods, seeds, results):
    lines = ["compare_methods: case %s, seeds %s (mean +- sd over seeds); MAE: held-out "
             "trajectories (evaluate)" % (args.case, ",".join(map(str, seeds))),
             "%-22s %-22s %-22s %-28s %-22s %-22s %-14s" % (
                 "method", "held-out MAE", "own loss", "evals (solver + colloc)", "D_eff rel. error",
                 "reaction max error", "wall s")]
    for m in methods:
        rs = [r for r in results[m] if r]
        g = lambda k: [r[k] for r in rs]
        failed = len(results[m]) - len(rs)
        lines.append("%-22s %-22s %-22s %-28s %-22s %-22s %-14s%s" % (
            m, fmt(g("mae")), fmt(g("loss")), fmt(g("evals"), "%.0f") + " + " + fmt(g("colloc_evals"), "%.0f"),
            fmt(g("d_err")), fmt(g("r_err")), fmt(g("wall"), "%.0f"),
            ("  (%d runs failed to train)" % failed) if failed else ""))
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(args.out, "summary.txt"), "w") as f:
        f.write(text + "\n")


def recovery(args):
    case = os.path.join(ROOT, "cases", "lotka_volterra.yaml")
    args.out = args.out or os.path.join("results", "methods_recovery")
    seeds = [int(s) for s in args.noise_seeds.split(",")]
    variants = {"solver": [], "collocation": ["-train_method", "collocation"]}
    short = ["-train_iterations", "4", "-train_lbfgs_iterations", "2"] if args.short else []

    def one(name, s):
        out = os.path.join(args.out, "%s_noise%d" % (name, s))
        os.makedirs(out, exist_ok=True)
        common = ["-options_file", case, "-output_dir", out, "-generate_noise_seed", str(s)]
        udeflow(args.build, ["generate"] + common, os.path.join(out, "generate.log"))
        if udeflow(args.build, ["train"] + common + variants[name] + short, os.path.join(out, "train.log")):
            return name, s, False
        udeflow(args.build, ["discover"] + common, os.path.join(out, "discover.log"))
        path = os.path.join(out, "discover.h5")
        if not os.path.exists(path):
            return name, s, False
        with h5py.File(path, "r") as f:
            return name, s, support_exact(f)

    hits = {k: [] for k in variants}
    with cf.ThreadPoolExecutor(args.jobs) as ex:
        for name, s, ok in ex.map(lambda a: one(*a), [(n, s) for s in seeds for n in variants]):
            hits[name].append((s, ok))
    lines = ["compare_methods --recovery: exact xy terms recovered (STLSQ on the learned U), "
             "cases/lotka_volterra.yaml, noise seeds %s" % args.noise_seeds]
    for name in variants:
        ok = [s for s, h in sorted(hits[name]) if h]
        lines.append("  %-12s %d of %d (seeds %s)" % (name, len(ok), len(seeds), ",".join(map(str, ok)) or "none"))
    text = "\n".join(lines)
    print(text)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "summary.txt"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
