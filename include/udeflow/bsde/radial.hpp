#pragma once
/// \file radial.hpp
/// The project's second, independent reference for Brownian-driven equations with a
/// radially symmetric set-up (pure code, no PETSc): a one-dimensional PDE solver.
///
/// For dX = sigma dW, a terminal condition g(|x|^2) and a driver f(u, |z|) with
/// z = sigma grad u, the solution depends on s = |x|^2 only, and
///
///   u_t + 2 sigma^2 s u_ss + sigma^2 d u_s + f(u, 2 sigma sqrt(s) |u_s|) = 0,  u(T,s) = g(s)
///
/// (the generator sigma^2/2 Lap u = sigma^2/2 (4 s u_ss + 2 d u_s); |grad u| = 2 sqrt(s)|u_s|).
/// In s the stiff (d-1)/r u_r of the r form becomes the constant drift sigma^2 d, and the
/// diffusion 2 sigma^2 s degenerates at s = 0, an entrance boundary for d >= 2 (no condition
/// there).  Both forms are advection-dominated for large d (upwinding costs an O(h) error);
/// in the characteristic variable xi = s + sigma^2 d (T - t) the drift disappears and only a
/// degenerate diffusion is left, so the centred scheme is monotone and second order for any d.
///
/// Discretization (SolveRadialOnce): a uniform grid in xi on [0, S + sigma^2 d T] with S far
/// in the tail of |X_T|^2 (S = (|x0| + sigma sqrt(T)(sqrt(d) + 10))^2, at least 10 standard
/// deviations); the far-field node follows the drift-only w_tau = f (no diffusion, the
/// driver with the one-sided gradient; g(xi_max) when f = 0), whose error reaches
/// s = |x0|^2 with a probability far below 1e-20; the step puts the answer
/// xi = |x0|^2 + sigma^2 d T on a node; the centred second difference and the driver with the
/// centred gradient; left of the moving boundary s = 0 a node follows w_t = f only (a
/// vanishing diffusion weight couples it); Crank-Nicolson in time with two Rannacher start-up
/// steps (four implicit Euler half steps) and Newton's method on the tridiagonal system of
/// every step (iterated to 1e-14, damped: the step halved while the residual grows).  Where
/// the driver's transport exceeds the diffusion by a cell Peclet number above 2 (unresolved
/// steep regions of large drivers, e.g. HJB with lambda in the hundreds near s = 0), the
/// diffusion is raised to make the operator monotone there (upwinding, first order); a
/// resolved grid has no such node where the answer is decided, and the observed order
/// shows whether it is resolved.  Both h and dt are O(1/level size), so the error is
/// O(h^2 + dt^2).
///
/// SolveRadial runs three levels (cells and steps doubled each time), reports the
/// observed order and the Richardson extrapolation of the two finest levels, with the
/// error estimate |R_12 - R_01| (the change between the extrapolations of the two level
/// pairs, which bounds the error of R_12 when the expansion is in h^2 with a smooth
/// next term); when the observed order is not within 0.3 of 2 the grid is not in the
/// asymptotic range and the estimate is the spread |U_2 - U_0| of the levels.
#include <functional>
#include <string>

namespace udeflow::bsde {

/// A radially symmetric problem: everything the solver needs.
struct RadialProblem {
  int dim = 1;
  double horizon = 1.0;
  double sigma = 1.0;                        ///< X = x0 + sigma W
  double x0_sq = 0.0;                        ///< |x0|^2
  std::function<double(double s)> terminal;  ///< g as a function of s = |x|^2
  /// f(u, q) with q = |z| and its partial derivatives f_u, f_q (empty: f = 0).
  std::function<void(double u, double q, double* f, double* f_u, double* f_q)> driver;
};

/// Grid of the coarsest level.
struct RadialGrid {
  int cells = 400;    ///< intervals in xi
  int steps = 200;    ///< time steps
  double domain = 0;  ///< S; 0: the default above
};

/// u(0, x0) on one grid.  Throws udeflow::Error on bad input or if Newton fails.
double SolveRadialOnce(const RadialProblem& p, const RadialGrid& grid);

struct RadialResult {
  double value = 0;        ///< Richardson extrapolation of the two finest levels
  double error = 0;        ///< error estimate (see above)
  double order = 0;        ///< observed order log2((U0 - U1) / (U1 - U2))
  bool asymptotic = true;  ///< order within 0.3 of 2 (else error = |U2 - U0|)
  double levels[3] = {0, 0, 0};
  int cells = 0, steps = 0;      ///< finest level
  int refinements = 0;           ///< doublings of the coarse level's cells (see SolveRadial)
  std::string Describe() const;  ///< "radial PDE solver, ... error <= ..."
};

/// At most this many doublings of the coarse level's cells in SolveRadial.
constexpr int kMaxRadialRefinements = 3;

/// Three levels from `coarse` (x1, x2, x4) and their extrapolation.  When the observed
/// order is not within 0.3 of 2 (the coarse levels do not resolve the solution, e.g. the
/// steep layers of HJB with lambda in the hundreds), the coarse level's cells are doubled
/// and the three levels solved again, at most kMaxRadialRefinements times; `refinements`
/// says how often.  The steps are not refined: the time error was not the obstacle.
RadialResult SolveRadial(const RadialProblem& p, const RadialGrid& coarse);

}  // namespace udeflow::bsde
