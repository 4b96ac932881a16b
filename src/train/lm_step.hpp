// Levenberg-Marquardt's step and damping rule (levenberg_marquardt.cpp), declared here for
// its unit test (tests/unit/test_lm_step.cpp).
#pragma once

#include <petscsys.h>

#include <Eigen/Dense>
#include <functional>

#include "udeflow/core/aligned.hpp"

namespace udeflow::train::lm {

// The Gauss-Newton model at theta: loss, gradient g = 2 J^T r + grad pen, matrix
// A = 2 J^T J + H_pen, the scale of Levenberg's damping, max_j A_jj, and how the damping
// follows a poorly predicted step (-train_lm_damping_update trust: it grows).
// Geodesic acceleration (-train_lm_acceleration geodesic, alpha = accel > 0): the residuals
// r and their Jacobian J at theta (the sum-of-squares part of the loss, r^T r).
struct Model {
  double loss = 0, dscale = 0;
  bool trust = false;
  Eigen::VectorXd g;
  Eigen::MatrixXd A;
  double accel = 0;
  Eigen::VectorXd r;
  const Eigen::MatrixXd* J = nullptr;
};

// The residual vector at x (+inf entries where the solve diverged).
using ResidualFn = std::function<PetscErrorCode(const AlignedVector<double>&, Eigen::VectorXd*)>;

// Trial steps (A + mu dscale I) delta = -g until one lowers the loss f (gain ratio rho =
// actual / predicted decrease > 1e-4); then theta += delta and mu /= 10 (rho > 0.75), /= 2
// (rho > 0.25), else x 2 (trust) or kept (fast); nu = 2.  A rejected trial: mu *= nu, nu *= 2.
// accepted false: no trial did before mu passed 1e20 (or 80 trials).
// With s.accel > 0 each trial's velocity v (the step above) gets the geodesic acceleration
//   a = -(A + mu dscale I)^-1 2 J^T r_vv,  r_vv = (2/h) ((r(theta + h v) - r) / h - J v),
// h = 0.1 (one residual evaluation a trial): the second derivative of the residuals along
// v, which the Gauss-Newton model leaves out.  The trial step is v + a/2 if 2|a|/|v| <=
// accel, otherwise the trial is rejected (as a rise of the loss is).
PetscErrorCode Step(const Model& s,
                    const std::function<PetscErrorCode(const AlignedVector<double>&, double*)>& f,
                    AlignedVector<double>* theta, double* mu, double* nu, bool* accepted,
                    const ResidualFn& residuals = nullptr);

}  // namespace udeflow::train::lm
