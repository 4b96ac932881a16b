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
struct Model {
  double loss = 0, dscale = 0;
  bool trust = false;
  Eigen::VectorXd g;
  Eigen::MatrixXd A;
};

// Trial steps (A + mu dscale I) delta = -g until one lowers the loss f (gain ratio rho =
// actual / predicted decrease > 1e-4); then theta += delta and mu /= 10 (rho > 0.75), /= 2
// (rho > 0.25), else x 2 (trust) or kept (fast); nu = 2.  A rejected trial: mu *= nu, nu *= 2.
// accepted false: no trial did before mu passed 1e20 (or 80 trials).
PetscErrorCode Step(const Model& s,
                    const std::function<PetscErrorCode(const AlignedVector<double>&, double*)>& f,
                    AlignedVector<double>* theta, double* mu, double* nu, bool* accepted);

}  // namespace udeflow::train::lm
