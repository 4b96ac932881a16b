#!/usr/bin/python3
"""Fuzzes udeflow's inputs: case files, datasets, model files and command lines.

Every case must end with exit code 0, or with a non-zero exit and exactly one
"udeflow: error:" line (no signal, no PETSc stack trace, no MPI abort without that
line), and must leave no half-written file (outputs complete or absent).

Most cases run in-process through udeflow_fuzz_driver (the commands as dry passes, which
read and check every option; the dataset and model readers); a few hundred run the
udeflow program itself (1 rank, some at 2).  The run is deterministic for a --seed.

    fuzz.py --udeflow BIN --driver BIN --cases tests/cli --work DIR [--seed 16]
            [--options 8000] [--datasets 1500] [--models 500] [--full 150]
Prints the count of cases by kind and outcome; exits 1 when any case failed.
"""
import argparse
import collections
import concurrent.futures
import glob
import os
import random
import resource
import shutil
import subprocess
import sys
import time

import h5py
import numpy as np
import yaml

BAD_VALUES = ["abc", "1.5", "", "-", "nan", "inf", "-inf", "1e400", "-1e400",
              "99999999999999999999", "-1", "0", "1e-300", ",", "1,,2", "true", "false",
              "[1, 2]", "0x10", "1 2", "'", "\"", "--", "../nothere", "a" * 3000, "1e3",
              "-0", "+5", "3,", ",3", "1;2", "NaN", "0.0", "1,2,3,4,5,6,7,8,9,10,11,12"]
CASES = {  # base case -> the commands that apply to it
    "tiny.yaml": ["generate", "train", "evaluate"],
    "lv_tiny.yaml": ["generate", "train", "discover", "evaluate"],
    "advection_tiny.yaml": ["generate", "train", "evaluate", "diagnose"],
    "fisher_tiny.yaml": ["generate", "train", "evaluate"],
    "tiny_ocean.yaml": ["generate", "train", "evaluate"],
}
MEMORY_LIMIT = 3 << 30
ALL_COMMANDS = ["generate", "train", "evaluate", "bsde", "diagnose", "discover"]
BSDE_OPTIONS = ["-bsde_equation hjb", "-bsde_dim 3", "-bsde_iterations 2", "-bsde_batch 8",
                "-bsde_steps 4", "-bsde_equation allen_cahn", "-bsde_lr 0.01"]


def flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flatten(v, prefix + str(k) + "_"))
        else:
            out[prefix + str(k)] = v
    return out


def misspell(rng, name):
    i = rng.randrange(len(name))
    op = rng.randrange(4)
    if op == 0:
        return name[:i] + name[i + 1:] or "x"
    if op == 1:
        return name[:i] + rng.choice("aeiourstn_") + name[i:]
    if op == 2 and i + 1 < len(name):
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    return name + rng.choice(["s", "_x", "2", "e"])


def render_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def dump_case(tree):
    lines = []
    for k, v in tree.items():
        if isinstance(v, dict):
            lines.append(f"{k}:")
            for k2, v2 in v.items():
                if isinstance(v2, dict):
                    lines.append(f"  {k2}:")
                    lines += [f"    {k3}: {render_value(v3)}" for k3, v3 in v2.items()]
                else:
                    lines.append(f"  {k2}: {render_value(v2)}")
        else:
            lines.append(f"{k}: {render_value(v)}")
    return "\n".join(lines) + "\n"


def mutate_value(rng, v):
    if rng.random() < 0.5 or not isinstance(v, (int, float)) or isinstance(v, bool):
        return rng.choice(BAD_VALUES)
    return rng.choice([0, -v, v * 10**rng.randrange(3, 12), v * 1e-9, 2**63, -2**31, 0.5])


def mutate_case(rng, tree, small):
    """Applies 1-3 mutations to a nested case dict (in place); returns a description."""
    done = []
    for _ in range(rng.randrange(1, 4)):
        sections = [tree] + [v for v in tree.values() if isinstance(v, dict)]
        sec = rng.choice(sections)
        keys = [k for k, v in sec.items() if not isinstance(v, dict)]
        op = rng.choice(["type", "type", "range", "missing", "unknown", "unknown", "list"])
        if not keys:
            op = "unknown"
        if op == "type":
            k = rng.choice(keys)
            sec[k] = rng.choice(BAD_VALUES[:12] if small else BAD_VALUES)
        elif op == "range":
            k = rng.choice(keys)
            sec[k] = mutate_value(rng, sec[k]) if not small else rng.choice([0, -1, -0.5, "nan"])
        elif op == "missing":
            k = rng.choice(keys)
            del sec[k]
        elif op == "unknown":
            base = rng.choice(keys) if keys else "burgers_n"
            k = misspell(rng, base) if rng.random() < 0.8 else rng.choice(["foo", "x_y", "ts_dtt"])
            sec[k] = sec.get(base, 1) if keys else 1
        else:
            k = rng.choice(keys)
            sec[k] = rng.choice(["[1, 2, 3]", "1,2", "[]", "1,abc", "0,0,0,0"])
        done.append(f"{op}:{k}")
    return ",".join(done)


def mutate_text(rng, text):
    """Raw text damage (malformed YAML)."""
    op = rng.randrange(5)
    i = rng.randrange(len(text) + 1)
    if op == 0:
        return text[:i]
    if op == 1:
        return text[:i] + rng.choice(["\t", ":", "'", "\"", "[", "{", "- ", "  ", "&a", "*b"]) + text[i:]
    if op == 2:
        return text + rng.choice(["foo: [1, 2\n", "  bad_indent: 1\n", ":\n", "- item\n", "a: b: c\n"])
    if op == 3:
        return text[:i] + "".join(chr(rng.randrange(1, 255)) for _ in range(8)) + text[i:]
    return ""


def command_line_mutation(rng, flat, command):
    """Extra command-line options: misspelled, bad values, dangling, unknown."""
    words = []
    for _ in range(rng.randrange(0, 3)):
        name = rng.choice(list(flat)) if flat else "ts_dt"
        op = rng.randrange(5)
        if op == 0:
            words += [f"-{misspell(rng, name)}", "5"]
        elif op == 1:
            words += [f"-{name}", rng.choice(BAD_VALUES[:20]).replace(" ", "")]
        elif op == 2:
            words.append(f"-{name}")
        elif op == 3:
            words += [rng.choice(["-ts_type", "-ts_dt", "-ts_max_steps", "-ts_adapt_type",
                                  "-closure_type", "-physics", "-train_mode"]),
                      rng.choice(["rk", "beuler", "foo", "-1", "1e9", "none", "abc", "0"])]
        else:
            words += [f"-{name}", rng.choice(["1", "0", "2", "yes", "no"])]
    if command == "bsde":
        words += rng.sample(BSDE_OPTIONS, rng.randrange(0, 3))
    return " ".join(w for w in words if w and " " not in w and "\t" not in w)


# ---- HDF5 mutations ----------------------------------------------------------------------

def h5_objects(f):
    dsets, groups = [], []
    f.visititems(lambda n, o: (dsets if isinstance(o, h5py.Dataset) else groups).append(n))
    return dsets, ["/"] + groups


def mutate_h5(rng, src, dst):
    """Copies src to dst with one random mutation; returns its description."""
    shutil.copy(src, dst)
    op = rng.choice(["nan", "inf", "shape", "dtype", "attr_del", "attr_type", "attr_value",
                     "del", "unknown", "truncate", "bytes", "empty_dset", "nan", "attr_value"])
    if op == "truncate":
        size = os.path.getsize(dst)
        with open(dst, "r+b") as f:
            f.truncate(rng.randrange(size))
        return op
    if op == "bytes":
        size = os.path.getsize(dst)
        with open(dst, "r+b") as f:
            f.seek(rng.randrange(size))
            f.write(bytes(rng.randrange(256) for _ in range(rng.choice([1, 8, 512]))))
        return op
    with h5py.File(dst, "r+") as f:
        dsets, groups = h5_objects(f)
        numeric = [d for d in dsets if f[d].dtype.kind in "fiu" and f[d].size > 0]
        objs = dsets + groups
        if op in ("nan", "inf") and numeric:
            d = f[rng.choice(numeric)]
            if d.dtype.kind == "f":
                idx = tuple(rng.randrange(s) for s in d.shape)
                d[idx] = np.nan if op == "nan" else -np.inf
                return f"{op}:{d.name}"
            op = "shape"
        if op in ("shape", "dtype", "empty_dset") and dsets:
            name = rng.choice(dsets)
            data = f[name][()]
            del f[name]
            if op == "empty_dset":
                f.create_dataset(name, shape=(0,), dtype="f8")
            elif op == "dtype":
                f[name] = np.bytes_("text") if rng.random() < 0.5 else np.asarray(data).astype("i4")
            else:
                a = np.asarray(data)
                choice = rng.randrange(4)
                if a.ndim >= 1 and a.shape[0] > 1 and choice == 0:
                    a = a[:-1]
                elif a.ndim == 2 and choice == 1:
                    a = a.T.copy()
                elif choice == 2:
                    a = a.reshape(-1)
                else:
                    a = np.zeros(a.shape + (2,), a.dtype) if a.dtype.kind != "S" else np.zeros(3)
                f[name] = a
            return f"{op}:{name}"
        obj = f[rng.choice(objs)]
        attrs = list(obj.attrs)
        if op == "attr_del" and attrs:
            a = rng.choice(attrs)
            del obj.attrs[a]
            return f"{op}:{obj.name}@{a}"
        if op in ("attr_type", "attr_value") and attrs:
            a = rng.choice(attrs)
            old = obj.attrs[a]
            if op == "attr_type":
                new = rng.choice([np.bytes_("abc"), 7, -1.5, np.array([1, 2, 3]), np.bytes_("")])
            elif isinstance(old, (bytes, np.bytes_, str)):
                new = np.bytes_(rng.choice(["", "burgers", "advection", "x" * 300, "u,v", "test"]))
            else:
                o = np.asarray(old)
                with np.errstate(all="ignore"):
                    new = (o * rng.choice([0, -1, 1e12, np.nan])).astype(o.dtype) if o.size else o
                if o.size > 1 and rng.random() < 0.5:
                    new = o[:-1]
            obj.attrs[a] = new
            return f"{op}:{obj.name}@{a}"
        if op == "del" and len(objs) > 1:
            name = rng.choice(dsets + groups[1:])
            del f[name]
            return f"{op}:{name}"
        f.create_group(f"unknown_{rng.randrange(1000)}")
        f.attrs["unknown_attr"] = 1
        return "unknown"


# ---- running ------------------------------------------------------------------------------

def limit_memory():
    """Child processes get at most MEMORY_LIMIT bytes of address space: a mutated size that
    asks for too much memory must fail cleanly, not take the machine's memory."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_driver(driver, manifest_lines, work, chunk=400):
    """Runs the in-process driver over the manifest in chunks (a fresh process every
    `chunk` cases); returns {id: (outcome, message)}."""
    results = {}
    for a in range(0, len(manifest_lines), chunk):
        results.update(run_driver_chunk(driver, manifest_lines[a:a + chunk], work))
    return results


def run_driver_chunk(driver, manifest_lines, work, timeout_per_case=30.0):
    results = {}
    pending = list(manifest_lines)
    env = dict(os.environ)
    while pending:
        path = os.path.join(work, "manifest.tsv")
        with open(path, "w") as f:
            f.write("\n".join(pending) + "\n")
        ids = [l.split("\t", 1)[0] for l in pending]
        start = time.time()
        proc = subprocess.Popen([driver, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=work, env=env, text=True, errors="replace",
                                preexec_fn=limit_memory)
        try:
            out, err = proc.communicate(timeout=timeout_per_case * len(pending) / 10 + 60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        started = None
        for line in out.splitlines():
            parts = line.split("\t")
            if len(parts) >= 2 and parts[1] == "start":
                started = parts[0]
            elif len(parts) >= 2:
                results[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else "")
                started = None
        if "PETSC ERROR" in err and started is None:
            results["driver"] = ("bad_error", "PETSc traceback on the driver's stderr")
        if started is not None:  # died or hung inside this case
            rc = proc.returncode
            what = "crash" if rc is None or rc < 0 or rc >= 128 else "bad_error"
            results[started] = (what, f"driver exit {rc} ({time.time() - start:.0f} s): "
                                f"{err.strip().splitlines()[-1] if err.strip() else ''}")
        done = set(results)
        pending = [l for l, i in zip(pending, ids) if i not in done]
        if started is None and pending:  # exited early without a started case
            for i in ids:
                results.setdefault(i, ("crash", f"driver exited {proc.returncode} early"))
            pending = []
    return results


def check_outputs(outdir):
    """Problems with the outputs: partial files or HDF5 files that do not open."""
    problems = []
    for p in glob.glob(os.path.join(outdir, "**", "*"), recursive=True):
        if p.endswith(".partial") or os.path.basename(p).startswith("core"):
            problems.append(f"left behind: {p}")
        elif p.endswith(".h5"):
            try:
                with h5py.File(p, "r") as f:
                    f.visit(lambda n: None)
            except Exception as e:  # noqa: BLE001 - any failure is a half-written file
                problems.append(f"unreadable output {p}: {e}")
    return problems


def run_full(args, cmdline, outdir, np_):
    os.makedirs(outdir, exist_ok=True)
    before = set(glob.glob(os.path.join(outdir, "*")))
    pre = [args.mpiexec, "-n", str(np_), "--oversubscribe"] if np_ > 1 else []
    try:
        p = subprocess.run(pre + [args.udeflow] + cmdline, capture_output=True, text=True,
                           errors="replace", timeout=args.full_timeout, cwd=outdir,
                           preexec_fn=limit_memory)
    except subprocess.TimeoutExpired:
        return "timeout", "no answer within %g s" % args.full_timeout
    errs = [l for l in p.stderr.splitlines() if l.startswith("udeflow: error")]
    bad = []
    if p.returncode < 0 or p.returncode >= 128:
        bad.append(f"signal/abort (exit {p.returncode})")
    if p.returncode != 0 and len(errs) != 1:
        bad.append(f"{len(errs)} 'udeflow: error' lines")
    if "PETSC ERROR" in p.stderr + p.stdout:
        bad.append("PETSc traceback")
    if "MPI_ABORT" in p.stderr and not errs:
        bad.append("MPI abort without an error line")
    bad += check_outputs(outdir)
    del before
    if bad:
        return "crash" if "signal" in bad[0] else "bad_error", "; ".join(bad) + " | " + \
            (errs[0] if errs else p.stderr.strip()[-300:])
    return ("ok", "") if p.returncode == 0 else ("error", errs[0])


def prepare_base(args, work):
    """A valid tiny dataset and model (burgers), made once per work directory."""
    base = os.path.join(work, "base")
    if not os.path.exists(os.path.join(base, "model.h5")):
        os.makedirs(base, exist_ok=True)
        case = os.path.join(args.cases, "tiny.yaml")
        for cmd in (["generate"], ["train", "-train_iterations", "1"]):
            subprocess.run([args.udeflow, cmd[0], "-options_file", case, "-output_dir", base]
                           + cmd[1:], check=True, capture_output=True, cwd=base)
    return base


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--udeflow", required=True)
    ap.add_argument("--driver", required=True)
    ap.add_argument("--cases", required=True, help="folder with the tiny case files")
    ap.add_argument("--work", required=True)
    ap.add_argument("--mpiexec", default="mpiexec")
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--options", type=int, default=8000)
    ap.add_argument("--datasets", type=int, default=1500)
    ap.add_argument("--models", type=int, default=500)
    ap.add_argument("--full", type=int, default=150)
    ap.add_argument("--full_timeout", type=float, default=180)
    ap.add_argument("--jobs", type=int, default=2, help="full runs at a time")
    args = ap.parse_args()
    args.udeflow, args.driver = os.path.abspath(args.udeflow), os.path.abspath(args.driver)
    args.cases = os.path.abspath(args.cases)
    rng = random.Random(args.seed)
    work = os.path.abspath(args.work)
    for sub in ("cases", "h5", "runs"):
        shutil.rmtree(os.path.join(work, sub), ignore_errors=True)
        os.makedirs(os.path.join(work, sub))
    t0 = time.time()
    base = prepare_base(args, work)
    trees = {c: yaml.safe_load(open(os.path.join(args.cases, c))) for c in CASES}
    kinds, manifest = {}, []

    # Case files and command lines (dry passes).
    for i in range(args.options):
        name = rng.choice(list(CASES))
        tree = yaml.safe_load(yaml.safe_dump(trees[name]))
        what = mutate_case(rng, tree, False) if rng.random() < 0.85 else "none"
        text = dump_case(tree)
        if rng.random() < 0.08:
            text, what = mutate_text(rng, text), "text"
        path = os.path.join(work, "cases", f"c{i}.yaml")
        with open(path, "w", errors="replace") as f:
            f.write(text)
        command = rng.choice(CASES[name]) if rng.random() < 0.9 else rng.choice(ALL_COMMANDS)
        extra = command_line_mutation(rng, flatten(trees[name]), command)
        extra = f"-output_dir {work}/runs/dry {extra}"
        cid = f"o{i}"
        kinds[cid] = ("options", f"{name} {command} [{what}] {extra}")
        manifest.append(f"{cid}\toptions\t{command}\t{path}\t{extra}")
    # Datasets and model files through the readers.
    tiny = os.path.join(args.cases, "tiny.yaml")
    for kind, count, src in (("dataset", args.datasets, "dataset.h5"),
                             ("model", args.models, "model.h5")):
        for i in range(count):
            dst = os.path.join(work, "h5", f"{kind[0]}{i}.h5")
            what = mutate_h5(rng, os.path.join(base, src), dst)
            cid = f"{kind[0]}{i}"
            kinds[cid] = (kind, f"{src} [{what}]")
            manifest.append(f"{cid}\t{kind}\t{tiny}\t{dst}")
    results = run_driver(args.driver, manifest, work)
    t_inproc = time.time() - t0

    # Full command runs: mutated datasets/models/cases/command lines, 1 rank and 2 ranks.
    jobs = []
    for i in range(args.full):
        np_ = 2 if i % 5 == 4 else 1
        out = os.path.join(work, "runs", f"r{i}")
        pick = rng.randrange(4)
        common = ["-options_file", tiny, "-output_dir", out, "-options_strict"]
        if pick == 0:
            d = os.path.join(work, "h5", f"d{rng.randrange(max(1, args.datasets))}.h5")
            cmd = ["train"] + common + ["-dataset", d, "-train_iterations", "1"]
        elif pick == 1:
            d = os.path.join(work, "h5", f"d{rng.randrange(max(1, args.datasets))}.h5")
            cmd = ["evaluate"] + common + ["-dataset", d, "-model", f"{base}/model.h5"]
        elif pick == 2:
            m = os.path.join(work, "h5", f"m{rng.randrange(max(1, args.models))}.h5")
            cmd = ["evaluate"] + common + ["-dataset", f"{base}/dataset.h5", "-model", m]
        else:
            tree = yaml.safe_load(yaml.safe_dump(trees["tiny.yaml"]))
            what = mutate_case(rng, tree, True)
            path = os.path.join(work, "cases", f"full{i}.yaml")
            with open(path, "w") as f:
                f.write(dump_case(tree))
            command = rng.choice(["generate", "train"])
            cmd = [command, "-options_file", path, "-output_dir", out, "-options_strict",
                   "-dataset", f"{base}/dataset.h5", "-train_iterations", "1",
                   "-generate_duration", "0.2"]
            cmd += command_line_mutation(rng, flatten(trees["tiny.yaml"]), command).split()
        cid = f"f{i}"
        kinds[cid] = (f"full_np{np_}", " ".join(cmd))
        jobs.append((cid, cmd, out, np_))
    # Two at a time (the runs mostly wait on start-up and file I/O).
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {cid: pool.submit(run_full, args, cmd, out, np_) for cid, cmd, out, np_ in jobs}
        for cid, fut in futures.items():
            results[cid] = fut.result()

    # Report.
    table = collections.Counter((kinds[c][0], results.get(c, ("missing", ""))[0]) for c in kinds)
    failures = [(c, kinds[c][1], results.get(c, ("missing", ""))) for c in kinds
                if results.get(c, ("missing",))[0] not in ("ok", "error")]
    if "driver" in results:
        failures.append(("driver", "", results["driver"]))
    print(f"fuzz: seed {args.seed}, {len(kinds)} cases in {time.time() - t0:.0f} s "
          f"(in-process {t_inproc:.0f} s)")
    for kind in sorted({k for k, _ in table}):
        row = ", ".join(f"{o} {table[(kind, o)]}" for o in
                        ("ok", "error", "bad_error", "crash", "timeout", "missing")
                        if table[(kind, o)])
        print(f"  {kind:10s} {row}")
    messages = collections.Counter(results[c][1].split(" (-")[0][:100] for c in kinds
                                   if results.get(c, ("",))[0] == "error")
    print("  most frequent errors:")
    for m, n in messages.most_common(12):
        print(f"    {n:5d}  {m}")
    for c, desc, (outcome, msg) in failures[:40]:
        print(f"FAIL {c} {outcome}: {desc}\n     {msg}")
    print(f"fuzz: {len(failures)} failing case(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
