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
struct Grid {
  const RadialProblem* p = nullptr;
  int M = 0;
  double h = 0, b = 0;
  std::vector<double> a, c;  ///< at the current time: a_i / h^2 and q_i = c_i |v_{i+1} - v_{i-1}|
  std::vector<double> f, fu, fq, sgn;

  Grid(const RadialProblem& prob, int cells, double step) : p(&prob), M(cells), h(step) {
    b = prob.sigma * prob.sigma * prob.dim;
    a.assign(M, 0), c.assign(M, 0);
    f.assign(M, 0), fu.assign(M, 0), fq.assign(M, 0), sgn.assign(M, 0);
  }

  void SetTime(double tau) {
    for (int i = 0; i < M; ++i) {
      const double s = std::max(0.0, i * h - b * tau);
      a[i] = 2 * p->sigma * p->sigma * s / (h * h);
      c[i] = 2 * p->sigma * std::sqrt(s) / (2 * h);
    }
  }

  // Driver values at v (v has M+1 entries): f, f_u, f_q and the sign of the gradient.
  void Driver(const std::vector<double>& v) {
    if (!p->driver) return;
    for (int i = 0; i < M; ++i) {
      const double dv = i > 0 ? v[i + 1] - v[i - 1] : 0.0;
      sgn[i] = dv > 0 ? 1.0 : (dv < 0 ? -1.0 : 0.0);
      p->driver(v[i], c[i] * std::abs(dv), &f[i], &fu[i], &fq[i]);
    }
  }

  double Apply(const std::vector<double>& v, int i) const {
    return a[i] * ((i > 0 ? v[i - 1] : v[i]) - 2 * v[i] + v[i + 1]);
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

// One theta step of length dt: u (at tau) -> v (at tau + dt), v[M] = far-field value.
void ThetaStep(Grid& G, double theta, double tau, double dt, const std::vector<double>& u,
               double far, std::vector<double>& v) {
  const int M = G.M;
  std::vector<double> rhs(M), a(M), d(M), e(M), r(M);
  G.SetTime(tau);
  G.Driver(u);
  for (int i = 0; i < M; ++i) rhs[i] = u[i] + dt * (1 - theta) * (G.Apply(u, i) + G.f[i]);
  v = u;
  v[M] = far;
  G.SetTime(tau + dt);
  double prev = 0;
  for (int it = 0;; ++it) {
    G.Driver(v);
    double vmax = 0, dmax = 0;
    for (int i = 0; i < M; ++i) {
      const double k = G.fq[i] * G.c[i] * G.sgn[i];  // d f_i / d v_{i+1} = -d f_i / d v_{i-1}
      r[i] = v[i] - dt * theta * (G.Apply(v, i) + G.f[i]) - rhs[i];
      d[i] = 1 - dt * theta * (-2 * G.a[i] + G.fu[i]);
      a[i] = i > 0 ? -dt * theta * (G.a[i] - k) : 0.0;
      e[i] = -dt * theta * (G.a[i] + k);
      vmax = std::max(vmax, std::abs(v[i]));
    }
    Thomas(a, d, e, r);
    for (int i = 0; i < M; ++i) {
      v[i] -= r[i];
      dmax = std::max(dmax, std::abs(r[i]));
    }
    // Converged, or stagnating at the round-off of the residual (large drivers).
    if (dmax <= 1e-14 * (1 + vmax) || !G.p->driver) break;
    if (it >= 2 && dmax > 0.5 * prev && dmax <= 1e-10 * (1 + vmax)) break;
    Require(it < 40, "radial PDE solver: Newton's method did not converge");
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
  const double far = u[M];  // drift-only far field: w(tau, xi_M) = g(xi_M)
  const double dt = p.horizon / steps;
  double tau = 0;
  // Rannacher start-up: the first two steps as four implicit Euler half steps.
  for (int k = 0; k < 4; ++k, tau += dt / 2) {
    ThetaStep(G, 1.0, tau, dt / 2, u, far, v);
    u.swap(v);
  }
  for (int n = 2; n < steps; ++n, tau += dt) {
    ThetaStep(G, 0.5, tau, dt, u, far, v);
    u.swap(v);
  }
  return u[target];
}

}  // namespace

double SolveRadialOnce(const RadialProblem& p, const RadialGrid& grid) {
  CheckProblem(p, grid);
  return Solve(p, grid.cells, TargetNodes(p, grid), grid.steps);
}

RadialResult SolveRadial(const RadialProblem& p, const RadialGrid& coarse) {
  CheckProblem(p, coarse);
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

std::string RadialResult::Describe() const {
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "radial PDE solver (xi = |x|^2 + sigma^2 d (T-t)), %d cells x %d steps, Richardson "
                "over 3 levels "
                "(observed order %.2f%s): error estimate %.1e",
                cells, steps, order, asymptotic ? "" : ", not yet asymptotic", error);
  return buf;
}

}  // namespace udeflow::bsde
