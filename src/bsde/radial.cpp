// The radial PDE solver (radial.hpp): centred three-point operator in xi = s + sigma^2 d tau,
// Crank-Nicolson with Rannacher start-up and Newton's method, Richardson over three levels.
#include "udeflow/bsde/radial.hpp"

#include <cmath>
#include <cstdio>
#include <vector>

#include "udeflow/core/error.hpp"

namespace udeflow::bsde {
namespace {

// The discrete problem on one grid in the characteristic variable xi = s + b tau
// (tau = T - t, b = sigma^2 d): w(tau, xi) = u(T - tau, xi - b tau) solves the pure
// diffusion w_tau = a w_xixi + f, a = 2 sigma^2 s, s = xi - b tau, so the centred
// three-point operator is monotone and second order for any h.  Nodes xi_i = i h,
// i = 0..M (node M is the far field); where s <= 0 (left of the moving entrance boundary)
// a = 0 and q = 0, and the node only follows w_tau = f.
// Cell Peclet number up to which the centred operator is kept.  1 is the bound of
// monotonicity; between 1 and 2 the centred scheme is mildly non-monotone but stable and
// second order (HJB d = 10,000 at lambda = 200 and 300: order 2.00 on the default grid,
// where the bound 1 would upwind nodes that the answer depends on: order 10-12, polluted).
constexpr double kPeclet = 2.0;

struct Grid {
  const RadialProblem* p = nullptr;
  int M = 0;
  double h = 0, b = 0;
  std::vector<double> a, c;  ///< at the current time: a_i / h^2 and q_i = c_i |v_{i+1} - v_{i-1}|
  /// f_i, f_u and the derivatives of f_i through q in v_{i-1}, v_i, v_{i+1}.
  std::vector<double> f, fu, jl, jr;
  std::vector<double> nu;  ///< added diffusion / h^2 (SetViscosity)

  Grid(const RadialProblem& prob, int cells, double step) : p(&prob), M(cells), h(step) {
    b = prob.sigma * prob.sigma * prob.dim;
    a.assign(M + 1, 0), c.assign(M + 1, 0);
    f.assign(M + 1, 0), fu.assign(M + 1, 0), jl.assign(M + 1, 0), jr.assign(M + 1, 0);
    nu.assign(M + 1, 0);
  }

  void SetTime(double tau) {
    for (int i = 0; i <= M; ++i) {
      const double s = std::max(0.0, i * h - b * tau);
      a[i] = i < M ? 2 * p->sigma * p->sigma * s / (h * h) : 0.0;  // far field: no diffusion
      c[i] = 2 * p->sigma * std::sqrt(s) / (2 * h);
    }
  }

  // Driver values at v (M+1 entries): f, f_u and the derivatives of f_i through the
  // centred gradient, d f_i / d v_{i+1} = -d f_i / d v_{i-1}.  The far-field node M has
  // no diffusion and the one-sided gradient (v_M - v_{M-1}) / h: it follows w_tau = f, the
  // drift-only value with the driver (for HJB the driver's transport leaves the domain
  // there; a fixed g(xi_M) would grow a boundary layer of height ~ lambda T / xi_M).
  void Driver(const std::vector<double>& v) {
    if (!p->driver) return;
    {
      const double d1 = v[M] - v[M - 1], sgn = d1 > 0 ? 1.0 : (d1 < 0 ? -1.0 : 0.0);
      double fq = 0;
      p->driver(v[M], 2 * c[M] * std::abs(d1), &f[M], &fu[M], &fq);
      jl[M] = -fq * 2 * c[M] * sgn, jr[M] = 0;
    }
    for (int i = 0; i < M; ++i) {
      const double dv = i > 0 ? v[i + 1] - v[i - 1] : 0.0;
      const double sgn = dv > 0 ? 1.0 : (dv < 0 ? -1.0 : 0.0);
      double fq = 0;
      p->driver(v[i], c[i] * std::abs(dv), &f[i], &fu[i], &fq);
      jr[i] = fq * c[i] * sgn, jl[i] = -jr[i];
    }
  }

  // Added diffusion where the driver's transport dominates: where the cell Peclet number
  // P_i = |df_i/dv_{i+1}| / a_i (transport h / (2 diffusion)) exceeds kPeclet, the
  // diffusion is raised to |df_i/dv_{i+1}|, i.e. P_i to 1 (nu_i = |df_i/dv_{i+1}| - a_i,
  // from v, the previous time level, frozen over a step so that Newton's method sees a
  // smooth operator).  There the three-point operator is monotone and first order
  // (upwinding); elsewhere it is the centred, second-order one.  Unresolved regions of large
  // drivers (HJB with lambda in the hundreds near the moving boundary s = 0, where |g'| is
  // large) no longer oscillate and make Newton's method fail; a grid of a reference must
  // resolve the region that matters, which the observed order of SolveRadial checks.
  // Returns the number of such nodes.
  int SetViscosity(const std::vector<double>& v) {
    nu.assign(M + 1, 0);
    if (!p->driver) return 0;
    Driver(v);
    int n = 0;
    for (int i = 0; i < M; ++i) {
      nu[i] = std::abs(jr[i]) > kPeclet * a[i] ? std::abs(jr[i]) - a[i] : 0.0;
      n += nu[i] > 0;
    }
    return n;
  }

  double Apply(const std::vector<double>& v, int i) const {
    if (i == M) return 0.0;
    return (a[i] + nu[i]) * ((i > 0 ? v[i - 1] : v[i]) - 2 * v[i] + v[i + 1]);
  }
};

// Solves the tridiagonal system (a: sub, d: diagonal, e: super) in place into r.
void Thomas(std::vector<double>& a, std::vector<double>& d, std::vector<double>& e,
            std::vector<double>& r) {
  const size_t n = d.size();
  for (size_t i = 1; i < n; ++i) {
    const double m = a[i] / d[i - 1];
    d[i] -= m * e[i - 1];
    r[i] -= m * r[i - 1];
  }
  r[n - 1] /= d[n - 1];
  for (size_t i = n - 1; i-- > 0;) r[i] = (r[i] - e[i] * r[i + 1]) / d[i];
}

// max |F(v)| of the theta step's residual F(v) = v - dt theta (A v + f(v)) - rhs, into r.
double Residual(Grid& G, double dt_theta, const std::vector<double>& v,
                const std::vector<double>& rhs, std::vector<double>& r) {
  G.Driver(v);
  double rmax = 0;
  for (int i = 0; i <= G.M; ++i) {
    r[i] = v[i] - dt_theta * (G.Apply(v, i) + G.f[i]) - rhs[i];
    rmax = std::max(rmax, std::abs(r[i]));
  }
  return rmax;
}

// One theta step of length dt: u (at tau) -> v (at tau + dt), nodes 0..M.
// Newton's method from v = u, damped (the step halved until the residual decreases) so
// that large drivers (HJB with lambda in the hundreds) do not overshoot.
void ThetaStep(Grid& G, double theta, double tau, double dt, const std::vector<double>& u,
               std::vector<double>& v) {
  const int M = G.M + 1;  // unknowns
  const double dtt = dt * theta;
  std::vector<double> rhs(M), a(M), d(M), e(M), r(M), trial, rt(M);
  G.SetTime(tau + dt);
  G.SetViscosity(u);
  G.SetTime(tau);
  G.Driver(u);
  for (int i = 0; i < M; ++i) rhs[i] = u[i] + dt * (1 - theta) * (G.Apply(u, i) + G.f[i]);
  v = u;
  G.SetTime(tau + dt);
  double prev = 0;
  double res = Residual(G, dtt, v, rhs, r);
  for (int it = 0;; ++it) {
    double vmax = 0, dmax = 0;
    for (int i = 0; i < M; ++i) {
      const double ai = G.a[i] + G.nu[i];
      // (the far-field node's one-sided gradient: d f_M / d v_M = -d f_M / d v_{M-1})
      d[i] = 1 - dtt * (-2 * ai + G.fu[i] - (i == G.M ? G.jl[i] : 0.0));
      a[i] = i > 0 ? -dtt * (ai + G.jl[i]) : 0.0;
      e[i] = -dtt * (ai + G.jr[i]);
      vmax = std::max(vmax, std::abs(v[i]));
    }
    Thomas(a, d, e, r);
    for (int i = 0; i < M; ++i) dmax = std::max(dmax, std::abs(r[i]));
    // Damping: the full step unless it increases the residual.
    double step = 1;
    for (;; step *= 0.5) {
      trial = v;
      for (int i = 0; i < M; ++i) trial[i] -= step * r[i];
      const double res_trial = Residual(G, dtt, trial, rhs, rt);
      if (res_trial <= res || step < 1.0 / 1024 || res <= 1e-14 * (1 + vmax)) {
        res = res_trial;
        break;
      }
    }
    v.swap(trial);
    r.swap(rt);
    dmax *= step;
    // Converged, or stagnating at the round-off of the residual (large drivers).
    if (dmax <= 1e-14 * (1 + vmax) || !G.p->driver) break;
    if (it >= 2 && dmax > 0.5 * prev && dmax <= 1e-10 * (1 + vmax)) break;
    Require(it < 60, "radial PDE solver: Newton's method did not converge");
    prev = dmax;
  }
}

// |x0|^2 + b T: the node of the answer, xi at tau = T of s = |x0|^2.
double Target(const RadialProblem& p) {
  return p.x0_sq + p.sigma * p.sigma * p.dim * p.horizon;
}

// Nodes between 0 and the target for `cells` cells: the step h = Target / J is the largest
// one with M h >= S + b T (the default domain in xi), so the answer is a node.
int TargetNodes(const RadialProblem& p, const RadialGrid& grid) {
  const double r = std::sqrt(p.x0_sq) + p.sigma * std::sqrt(p.horizon) * (std::sqrt(p.dim) + 10);
  const double xi_max = (grid.domain > 0 ? grid.domain : r * r) + Target(p) - p.x0_sq;
  return std::max(1, static_cast<int>(grid.cells * Target(p) / xi_max));
}

void CheckProblem(const RadialProblem& p, const RadialGrid& grid) {
  Require(p.dim >= 2 && p.horizon > 0 && p.sigma > 0 && p.x0_sq >= 0,
          "radial PDE solver: needs d >= 2, T > 0, sigma > 0 and |x0|^2 >= 0");
  Require(grid.cells >= 4 && grid.steps >= 4, "radial PDE solver: needs >= 4 cells and steps");
  Require(static_cast<bool>(p.terminal), "radial PDE solver: no terminal condition");
}

// u(0, x0) with `cells` cells of which `target` lie left of the answer's node.
double Solve(const RadialProblem& p, int cells, int target, int steps) {
  Require(target < cells, "radial PDE solver: the domain does not contain |x0|^2");
  const int M = cells;
  Grid G(p, M, Target(p) / target);
  std::vector<double> u(M + 1), v(M + 1);
  for (int i = 0; i <= M; ++i) u[i] = p.terminal(i * G.h);  // tau = 0: s = xi
  const double dt = p.horizon / steps;
  double tau = 0;
  // Rannacher start-up: the first two steps as four implicit Euler half steps.
  for (int k = 0; k < 4; ++k, tau += dt / 2) {
    ThetaStep(G, 1.0, tau, dt / 2, u, v);
    u.swap(v);
  }
  for (int n = 2; n < steps; ++n, tau += dt) {
    ThetaStep(G, 0.5, tau, dt, u, v);
    u.swap(v);
  }
  return u[target];
}

}  // namespace

double SolveRadialOnce(const RadialProblem& p, const RadialGrid& grid) {
  CheckProblem(p, grid);
  return Solve(p, grid.cells, TargetNodes(p, grid), grid.steps);
}

namespace {

// Three levels from `coarse` (cells and steps x1, x2, x4) and their extrapolation.
RadialResult ThreeLevels(const RadialProblem& p, const RadialGrid& coarse) {
  RadialResult r;
  const int target = TargetNodes(p, coarse);
  for (int k = 0; k < 3; ++k) {
    r.cells = coarse.cells << k, r.steps = coarse.steps << k;
    r.levels[k] = Solve(p, r.cells, target << k, r.steps);
  }
  const double d01 = r.levels[0] - r.levels[1], d12 = r.levels[1] - r.levels[2];
  r.order = d12 != 0 && d01 != 0 ? std::log2(std::abs(d01 / d12)) : 0;
  const double r01 = r.levels[1] - d01 / 3, r12 = r.levels[2] - d12 / 3;
  r.value = r12;
  // Outside the asymptotic range (order not near 2) the spread of the levels is the estimate.
  r.asymptotic = std::abs(r.order - 2) <= 0.3 || std::abs(d12) <= 1e-14 * std::abs(r12);
  r.error = r.asymptotic ? std::abs(r12 - r01) : std::abs(r.levels[2] - r.levels[0]);
  return r;
}

}  // namespace

RadialResult SolveRadial(const RadialProblem& p, const RadialGrid& coarse) {
  CheckProblem(p, coarse);
  RadialGrid grid = coarse;
  RadialResult r = ThreeLevels(p, grid);
  // Not asymptotic: the coarse levels do not resolve the solution (for large drivers, cell
  // Peclet numbers above kPeclet where the answer is decided); the space grid is doubled.
  while (!r.asymptotic && r.refinements < kMaxRadialRefinements) {
    grid.cells *= 2;
    const int refinements = r.refinements + 1;
    r = ThreeLevels(p, grid);
    r.refinements = refinements;
  }
  return r;
}

std::string RadialResult::Describe() const {
  char refined[64] = "";
  if (refinements > 0)
    std::snprintf(refined, sizeof(refined), ", coarse cells doubled %d time%s", refinements,
                  refinements > 1 ? "s" : "");
  char buf[320];
  std::snprintf(buf, sizeof(buf),
                "radial PDE solver (xi = |x|^2 + sigma^2 d (T-t)), %d cells x %d steps, Richardson "
                "over 3 levels "
                "(observed order %.2f%s%s): error estimate %.1e",
                cells, steps, order, asymptotic ? "" : ", not yet asymptotic", refined, error);
  return buf;
}

}  // namespace udeflow::bsde
