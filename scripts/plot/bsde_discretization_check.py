#!/usr/bin/env python3
"""Time-discretization bias of the deep BSDE schemes with the *exact* Z (no training).

For the HJB equation of Han, Jentzen & E (PNAS 2018) (sigma = sqrt(2) I, f = -lambda/2 |z|^2,
g = ln((1+|x|^2)/2), x0 = 0), Z(t,x) = x h(t,|x|^2) with h from Cole-Hopf,
h = 2 sqrt(2) d/dr u(t,r), u(t,r) = -(1/lambda) ln E[((1+|x+sqrt(2)W_{T-t}|^2)/2)^(-lambda)],
computed here by a 2-D quadrature (the component of W along x, and a chi^2_{d-1} for the
rest).  With that Z the Euler and trapezoidal ("Crank-Nicolson driver") recursions of
udeflow's bsde/backward.hpp are run on Monte Carlo paths; the Y_0 that makes
E[Y_N - g(X_N)] = 0 shows the bias of each scheme against N, free of training error.

    /usr/bin/python3 scripts/plot/bsde_discretization_check.py --lam 10 --steps 10 20 40 -o bias.png

--control runs the controlled form of `-bsde_control driver` (increments dW + theta dt,
theta = df/dz = -lambda Z, for the forward step and the Z.dW term); --zscale 0.9 multiplies
the interior Z by 0.9, which shows how strongly u(0,x0) reacts to an error in Z.
"""
import argparse

import numpy as np
from scipy import stats

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--dim", type=int, default=100)
p.add_argument("--lam", type=float, default=10.0)
p.add_argument("--steps", type=int, nargs="+", default=[10, 20, 40])
p.add_argument("--paths", type=int, default=20000)
p.add_argument("--control", action="store_true", help="controlled forward process (theta = -lambda Z)")
p.add_argument("--zscale", type=float, default=1.0, help="multiply the interior Z by this (error sensitivity)")
p.add_argument("--reference", type=float, default=None, help="exact u(0,0) (default: lambda=1/10 values computed by the project)")
p.add_argument("-o", "--output", default=None, help="optional plot of |bias| against N")
a = p.parse_args()
d, lam, T = a.dim, a.lam, 1.0
ref = a.reference or {1.0: 4.590161724605, 10.0: 4.492929491346}.get(lam)

gh_x, gh_w = np.polynomial.hermite_e.hermegauss(60)
gh_w = gh_w / gh_w.sum()
Q = 4000
chi = stats.chi2.ppf((np.arange(Q) + 0.5) / Q, d - 1)


def u(t, r):
    tau = T - t
    s = (np.sqrt(r) + np.sqrt(2 * tau) * gh_x[:, None]) ** 2 + 2 * tau * chi[None, :]
    lg = -lam * np.log((1 + s) / 2)
    mx = lg.max()
    return -(np.log((np.exp(lg - mx) * gh_w[:, None]).sum() / Q) + mx) / lam


def h(t, r):
    e = 1e-3 * max(r, 1.0)
    lo = max(r - e, 0.0)  # one-sided at r = 0 (controlled paths come close to the origin)
    return 2 * np.sqrt(2) * (u(t, r + e) - u(t, lo)) / (r + e - lo)


rng = np.random.default_rng(1)
rows = []
for N in a.steps:
    dt = T / N
    M = a.paths
    dW = rng.standard_normal((N, M, d)) * np.sqrt(dt)
    tables = {}
    for n in range(1, N):
        t = n * dt
        grid = np.linspace(0, 2 * t * stats.chi2.ppf(1 - 1e-6, d), 120)
        tables[n] = (grid, np.array([h(t, r) for r in grid]))

    def Z(n, x):
        if n == N:
            return 2 * np.sqrt(2) * x / (1 + (x ** 2).sum(1)[:, None])  # sigma^T grad g, exact
        if n == 0:
            return np.zeros((M, d))  # x0 = 0
        grid, hv = tables[n]
        return a.zscale * x * np.interp((x ** 2).sum(1), grid, hv)[:, None]

    for scheme in ("euler", "trapezoid"):
        x = np.zeros((M, d))
        S = np.zeros(M)
        for n in range(N):
            zn = Z(n, x)
            dwn = dW[n] + (-lam * zn * dt if a.control else 0.0)  # theta = df/dz = -lambda z
            xn1 = x + np.sqrt(2) * dwn
            if scheme == "euler":
                S += lam / 2 * dt * (zn ** 2).sum(1) + (zn * dwn).sum(1)
            else:
                S += lam / 4 * dt * ((zn ** 2).sum(1) + (Z(n + 1, xn1) ** 2).sum(1)) + (zn * dwn).sum(1)
            x = xn1
        g = np.log((1 + (x ** 2).sum(1)) / 2)
        R = S - g
        y0, se = -R.mean(), R.std() / np.sqrt(M)
        rel = (y0 - ref) / ref if ref else float("nan")
        rows.append((N, scheme, y0, se, rel, R.var()))
        print(f"N={N:3d} {scheme:9s}{' controlled' if a.control else ''} zscale {a.zscale}: Y0 {y0:.6f} +- {se:.6f}"
              f"  rel. bias {rel:+.2e}  loss {R.var():.4e}")

if a.output:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for scheme in ("euler", "trapezoid"):
        r = [x for x in rows if x[1] == scheme]
        plt.loglog([x[0] for x in r], [max(abs(x[4]), 1e-6) for x in r], "o-", label=scheme)
    plt.xlabel("N (time steps)")
    plt.ylabel("|relative bias of u(0,x0)| with the exact Z")
    plt.legend()
    plt.grid(True, which="both", alpha=0.3)
    plt.savefig(a.output, dpi=120)
    print("wrote", a.output)
