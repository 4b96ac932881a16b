#pragma once
/// \file backward.hpp
/// Time stepping of the backward process Y on a batch of simulated paths (pure Eigen),
/// with its reverse-mode (VJP) and tangent (JVP) derivatives.
///
/// Given X_n, Z_n = sigma^T grad u(t_n, X_n) from the network and the increments dW_n:
/// - "euler" (Han, Jentzen & E):
///     Y_{n+1} = Y_n - dt f(t_n, X_n, Y_n, Z_n) + Z_n . dW_n
/// - "trapezoid" (the Crank-Nicolson driver of deep Runge-Kutta BSDE schemes, made
///   explicit by a Heun predictor; Z_N = sigma^T grad g(X_N) is exact):
///     P_n     = Y_n - dt F_n + Z_n . dW_n,            F_n = f(t_n, X_n, Y_n, Z_n)
///     Y_{n+1} = Y_n - dt/2 (F_n + f(t_{n+1}, X_{n+1}, P_n, Z_{n+1})) + Z_n . dW_n
///   Second order in dt for the driver integral (the Euler rule is first order), at the
///   cost of one more driver evaluation per step (none for the network).
/// Z is d x (N+1)*B (step-major, types.hpp); the block of step N is read by the
/// trapezoidal scheme only.  Y_0 is the same for every sample.
#include <string>

#include "udeflow/bsde/equation.hpp"

namespace udeflow::bsde {

enum class BackwardScheme { kEuler, kTrapezoid };
BackwardScheme ParseBackwardScheme(const std::string& name);  ///< "euler" | "trapezoid"; throws
const char* BackwardSchemeName(BackwardScheme s);

/// Work buffers for N steps of B samples (sized by Resize, reused afterwards).
struct BackwardWork {
  Matrix y;                                ///< B x (N+1): column n is Y_n
  Matrix f;                                ///< B x N: F_n
  Matrix p;                                ///< B x N: predictor P_n (trapezoid)
  Matrix fp;                               ///< B x N: f(t_{n+1}, X_{n+1}, P_n, Z_{n+1}) (trapezoid)
  Matrix zdw;                              ///< B x N: Z_n . dW_n
  Vector a, fbar, pbar, gbar, dot1, dot2;  ///< length-B adjoint/tangent buffers
  void Resize(int num_steps, Eigen::Index B);
};

/// Runs the recursion from Y_0 = y0; Y_N is w.y.col(N).
void BackwardSolve(const Equation& eq, BackwardScheme scheme, double dt, double y0,
                   const ConstMatrixRef& x, const ConstMatrixRef& z, const ConstMatrixRef& dw,
                   BackwardWork& w);

/// Reverse mode after BackwardSolve: overwrites zbar (d x (N+1)*B) with (dY_N/dZ)^T ybar_n
/// and returns (dY_N/dy0)^T ybar_n summed over the batch.
double BackwardVjp(const Equation& eq, BackwardScheme scheme, double dt, const ConstMatrixRef& x,
                   const ConstMatrixRef& z, const ConstMatrixRef& dw, const ConstVectorRef& ybar_n,
                   MatrixRef zbar, BackwardWork& w);

/// Tangent after BackwardSolve: ydot_n = dY_N/dy0 * y0dot + dY_N/dZ zdot.
void BackwardJvp(const Equation& eq, BackwardScheme scheme, double dt, const ConstMatrixRef& x,
                 const ConstMatrixRef& z, const ConstMatrixRef& dw, double y0dot,
                 const ConstMatrixRef& zdot, VectorRef ydot_n, BackwardWork& w);

}  // namespace udeflow::bsde
