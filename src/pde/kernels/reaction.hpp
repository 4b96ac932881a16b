#pragma once
/// \file reaction.hpp
/// Pointwise kernels of the reaction-diffusion and ODE physics: the logistic reaction of
/// Fisher-KPP, the second-difference (periodic Laplacian) stencil, and the known terms of
/// the Lotka-Volterra system.  Plain doubles, no PETSc, no MPI.

namespace udeflow::pde::kernels {

/// Logistic reaction r rho (1 - rho).
inline double LogisticReaction(double r, double rho) {
  return r * rho * (1 - rho);
}

/// d/drho of the logistic reaction: r (1 - 2 rho).
inline double LogisticReactionDerivative(double r, double rho) {
  return r * (1 - 2 * rho);
}

/// Second difference vm - 2 v0 + vp along one axis.
inline double SecondDifference(double vm, double v0, double vp) {
  return vm - 2 * v0 + vp;
}

/// Undivided Laplacian at ghosted index g of a 1-D (dim 1) or 2-D (dim 2) grid whose rows are
/// `row` entries apart: the sum of the second differences along the axes.
inline double Laplacian(const double* v, long g, long row, long dim) {
  double lap = SecondDifference(v[g - 1], v[g], v[g + 1]);
  if (dim == 2) lap += SecondDifference(v[g - row], v[g], v[g + row]);
  return lap;
}

/// Rates of the Lotka-Volterra system x' = alpha x - beta x y, y' = -delta y + gamma x y.
struct LotkaVolterraParams {
  double alpha = 1.3, beta = 0.9, gamma = 0.8, delta = 1.8;
  bool interactions = false;  ///< include the -beta x y and +gamma x y terms
};

/// Known right-hand side g(u) of u = (x, y).
inline void LotkaVolterraRhs(const LotkaVolterraParams& P, const double* u, double* g) {
  g[0] = P.alpha * u[0];
  g[1] = -P.delta * u[1];
  if (P.interactions) {
    g[0] -= P.beta * u[0] * u[1];
    g[1] += P.gamma * u[0] * u[1];
  }
}

/// Jacobian dg/du of the known right-hand side, row-major 2 x 2.
inline void LotkaVolterraJacobian(const LotkaVolterraParams& P, const double* u, double* J) {
  J[0] = P.alpha;
  J[1] = 0;
  J[2] = 0;
  J[3] = -P.delta;
  if (P.interactions) {
    J[0] -= P.beta * u[1];
    J[1] -= P.beta * u[0];
    J[2] += P.gamma * u[1];
    J[3] += P.gamma * u[0];
  }
}

}  // namespace udeflow::pde::kernels
