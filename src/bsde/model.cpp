#include "udeflow/bsde/model.hpp"

#include <cmath>

#include "udeflow/core/error.hpp"

namespace udeflow::bsde {

void BsdeBatch::Resize(int d, int N, Eigen::Index b) {
  B = b;
  dw.resize(d, N * b);
  x.resize(d, (N + 1) * b);
  z.resize(d, (N + 1) * b);
  zbar.resize(d, (N + 1) * b);
  work.resize(d, b);
  g.resize(b);
  r.resize(b);
  rbar.resize(b);
  sens.resize(b);
  backward.Resize(N, b);
  theta.resize(d, b);
  cy.resize(b);
  cybar.resize(b);
  cones.resize(b);
}

BsdeModel::BsdeModel(const Equation& eq, std::unique_ptr<ZNetwork> net, int num_steps,
                     SdeScheme sde, BackwardScheme backward)
    : eq_(eq),
      net_(std::move(net)),
      N_(num_steps),
      dt_(eq.Horizon() / num_steps),
      sde_(sde),
      backward_(backward) {
  Require(num_steps >= 1, "BSDE model: the number of time steps must be positive");
  if (sde == SdeScheme::kExact && !eq.HasExactStep())
    throw Error(std::string("equation ") + eq.Name() +
                " has no exact SDE step (use the euler scheme)");
  params_ = Vector::Zero(1 + net_->NumParams());
}

void BsdeModel::Simulate(uint64_t seed, uint64_t stream, uint64_t first, BsdeBatch& batch) const {
  batch.first = first;
  SampleBrownianIncrements(seed, stream, first, N_, dt_, batch.dw);
  if (!control_) {
    SimulateForward(eq_, sde_, dt_, batch.dw, batch.x, batch.work);
    return;
  }
  // Controlled paths: the increments become dW_n + theta_n dt, theta_n = df/dz at the
  // network's Z_n at X_n, for the forward step and for the backward recursion alike
  // (Y_{n+1} = Y_n - dt F_n + Z_n . (dW_n + theta_n dt) is the recursion with the
  // driver f - theta_n . z, the theta-term taken at the left point like the drift).
  const Eigen::Index B = batch.B;
  batch.x.leftCols(B).colwise() = eq_.InitialState();
  batch.cy.setConstant(Y0());
  batch.cones.setOnes();
  for (int n = 0; n < N_; ++n) {
    auto xn = batch.x.middleCols(n * B, B);
    auto zn = batch.z.middleCols(n * B, B);
    net_->ForwardStep(params_.data() + 1, n, xn, batch.tape, zn);
    batch.theta.setZero();  // DriverVjp accumulates
    batch.cybar.setZero();
    eq_.DriverVjp(n * dt_, xn, batch.cy, zn, batch.cones, batch.cybar,
                  batch.theta);  // theta = df/dz
    auto dwn = batch.dw.middleCols(n * B, B);
    dwn += dt_ * batch.theta;
    StepForward(eq_, sde_, n * dt_, dt_, xn, dwn, batch.x.middleCols((n + 1) * B, B), batch.work);
  }
}

void BsdeModel::ForwardZ(BsdeBatch& batch) const {
  const Eigen::Index B = batch.B;
  net_->Forward(params_.data() + 1, batch.x, B, batch.tape, batch.z);
  auto xN = batch.x.middleCols(N_ * B, B);
  if (backward_ == BackwardScheme::kTrapezoid) {
    // Z_N = sigma^T grad g(X_N), exact.
    eq_.TerminalGradient(xN, batch.work);
    eq_.DiffusionTranspose(eq_.Horizon(), xN, batch.work, batch.z.middleCols(N_ * B, B));
  } else {
    batch.z.middleCols(N_ * B, B).setZero();  // unused
  }
  eq_.Terminal(xN, batch.g);
}

void BsdeModel::Residuals(BsdeBatch& batch, double y0) {
  ForwardZ(batch);
  BackwardSolve(eq_, backward_, dt_, y0, batch.x, batch.z, batch.dw, batch.backward);
  batch.r = batch.backward.y.col(N_) - batch.g;
  batch.zbar.setZero();  // zdot = 0: only the sensitivity to y0
  BackwardJvp(eq_, backward_, dt_, batch.x, batch.z, batch.dw, 1.0, batch.zbar, batch.rbar,
              batch.backward);
}

double BsdeModel::Loss(BsdeBatch& batch, double weight, double* grad, double* curvature) {
  const Eigen::Index B = batch.B;
  ForwardZ(batch);
  BackwardSolve(eq_, backward_, dt_, Y0(), batch.x, batch.z, batch.dw, batch.backward);
  batch.r = batch.backward.y.col(N_) - batch.g;
  const double c = loss_clip_;
  double loss = 0;
  for (Eigen::Index b = 0; b < B; ++b) {
    const double r = batch.r(b);
    if (c > 0 && std::abs(r) > c) {
      loss += 2 * c * std::abs(r) - c * c;
      batch.rbar(b) = weight * 2 * c * (r > 0 ? 1.0 : -1.0);
    } else {
      loss += r * r;
      batch.rbar(b) = weight * 2 * r;
    }
  }
  if (grad && curvature) {
    batch.zbar.setZero();  // zdot = 0: the sensitivities dY_N/dY_0 (zbar is overwritten below)
    BackwardJvp(eq_, backward_, dt_, batch.x, batch.z, batch.dw, 1.0, batch.zbar, batch.sens,
                batch.backward);
    *curvature += 2.0 * weight * batch.sens.squaredNorm();
  }
  if (grad) {
    grad[0] += BackwardVjp(eq_, backward_, dt_, batch.x, batch.z, batch.dw, batch.rbar, batch.zbar,
                           batch.backward);
    net_->Vjp(params_.data() + 1, batch.tape, batch.zbar, B, grad + 1);
  }
  return weight * loss;
}

}  // namespace udeflow::bsde
