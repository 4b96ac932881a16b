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
// Geodesic acceleration (-train_lm_acceleration geodesic, alpha = accel > 0) and the QR
// solve need the residuals r and their Jacobian J at theta (the sum-of-squares part of the
// loss, r^T r).
// QR solve (-train_lm_solve qr, qr true): the trial step is the least-squares solution of
//   [sqrt2 J; Hh; sqrt(mu dscale) I] delta ~= -[sqrt2 r; y; z]
// (Householder QR, the normal equations never formed), with Hh^T Hh the positive part of
// H_pen, Hh^T y the part of grad pen in its range and sqrt(mu dscale) z the rest, so that
// the right-hand side's B^T b is g exactly; its predicted decrease is |r|^2 - |r + J delta|^2
// - gpen.delta - delta.H_pen.delta / 2 (the same model, without the cancellation of
// g.delta + delta.A.delta / 2 once the loss is small).
struct Model {
  double loss = 0, dscale = 0;
  bool trust = false;
  Eigen::VectorXd g;
  Eigen::MatrixXd A;
  double accel = 0;
  Eigen::VectorXd r;
  const Eigen::MatrixXd* J = nullptr;
  bool qr = false;
  Eigen::VectorXd gpen;  // grad pen (qr)
  Eigen::MatrixXd Hpen;  // H_pen (qr)
  Eigen::MatrixXd top;   // [sqrt2 J; Hh] (qr)
  Eigen::VectorXd btop;  // [sqrt2 r; y] (qr)
  Eigen::VectorXd rest;  // z sqrt(mu dscale): the part of grad pen outside the range of Hh
};

// Fills s->gpen, Hpen, top, btop and rest from s->r, s->J and the penalty's gradient and
// Hessian at theta, and sets s->qr.
void PrepareQr(const Eigen::VectorXd& gpen, const Eigen::MatrixXd& Hpen, Model* s);

// The residual vector at x (+inf entries where the solve diverged).
using ResidualFn = std::function<PetscErrorCode(const AlignedVector<double>&, Eigen::VectorXd*)>;

// Trial steps (A + mu dscale I) delta = -g (or its QR form, s.qr) until one lowers the loss f (gain
// ratio rho = actual / predicted decrease > 1e-4); then theta += delta and mu /= 10 (rho > 0.75),
// /= 2 (rho > 0.25), else x 2 (trust) or kept (fast); nu = 2.  A rejected trial: mu *= nu, nu *= 2.
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
