#pragma once
/// \file model.hpp
/// The deep BSDE model on one batch of paths (pure Eigen; no PETSc, no MPI): the
/// trainable u(0, x0) = Y_0, the Z network, and the loss
///
///   L = sum_b weight * l(Y_N^b - g(X_N^b)),   l(r) = r^2 for |r| <= c, 2c|r| - c^2 beyond
///
/// (the Huber-like clipping of the original code; c = 0 turns it off), with its exact
/// gradient with respect to every parameter.  The trainer calls it on the samples a
/// rank owns with weight 1/(global batch size) and sums over ranks.
///
/// Parameter layout (flat): [Y_0, network parameters...].
#include <cstdint>
#include <memory>

#include "udeflow/bsde/backward.hpp"
#include "udeflow/bsde/equation.hpp"
#include "udeflow/bsde/paths.hpp"
#include "udeflow/bsde/znet.hpp"

namespace udeflow::bsde {

/// Every buffer needed for one batch of B paths; sized once by Resize().
struct BsdeBatch {
  Eigen::Index B = 0;
  uint64_t first = 0;       ///< global index of the first sample
  Matrix dw;                ///< d x N*B Brownian increments
  Matrix x;                 ///< d x (N+1)*B forward paths
  Matrix z, zbar;           ///< d x (N+1)*B
  Matrix work;              ///< d x B
  Vector g, r, rbar;        ///< B: g(X_N), residual Y_N - g, loss cotangent
  Vector sens;              ///< B: dY_N/dY_0
  Matrix theta;             ///< d x B: control theta_n = df/dz of one step (controlled models only)
  Vector cy, cybar, cones;  ///< B: buffers of the control's driver derivative
  BackwardWork backward;
  ZTape tape;
  void Resize(int d, int num_steps, Eigen::Index B);
};

class BsdeModel {
 public:
  /// `eq` must outlive the model and be SetUp; the model owns the network.  The
  /// network parameters start at zero (see InitializeNetwork) and Y_0 at 0.
  BsdeModel(const Equation& eq, std::unique_ptr<ZNetwork> net, int num_steps, SdeScheme sde,
            BackwardScheme backward);

  int NumSteps() const { return N_; }
  double Dt() const { return dt_; }
  int NumParams() const { return static_cast<int>(params_.size()); }
  double Y0() const { return params_[0]; }
  void SetY0(double y0) { params_[0] = y0; }
  /// The flat parameter vector [Y_0, network...]; the model reads it on every call.
  Vector& Params() { return params_; }
  const Vector& Params() const { return params_; }
  /// Initializes the network parameters (deterministic in the seed); Y_0 is unchanged.
  void InitializeNetwork(uint64_t seed) { net_->Initialize(seed, params_.data() + 1); }
  ZNetwork& Net() { return *net_; }
  const Equation& Eq() const { return eq_; }
  SdeScheme Sde() const { return sde_; }
  BackwardScheme Backward() const { return backward_; }
  void SetLossClip(double c) { loss_clip_ = c; }
  /// Controlled forward process (Girsanov).  For any field theta the PDE can be written
  /// along dX = (mu + sigma theta) dt + sigma dW with the driver f - theta . z, since the
  /// extra drift adds (sigma theta) . grad u = theta . z to the generator.  Discretely:
  /// the Brownian increments dW_n are replaced by dW_n + theta_n dt in the forward step
  /// and in the backward recursion (whose Z_n . dW_n term then carries theta_n . Z_n dt,
  /// at the left point like the drift; the scheme's f is unchanged).  theta_n =
  /// df/dz(t_n, X_n, Y_0, Z_n) at the network's own Z, computed step by step while the
  /// paths are simulated and then held fixed (no gradient flows through the paths).  The
  /// controlled driver f - theta . z is then stationary in z at the network's Z, so the
  /// Y_0 solving E[Y_N - g] = 0 depends on an error dZ of the network at second order
  /// instead of at first order through E[f_z . dZ] (up to O(dt) terms of the scheme).
  /// For drivers linear in z (Black-Scholes-Barenblatt) theta is constant.  The y
  /// argument of df/dz is Y_0 (exact when df/dz does not depend on y, as for every
  /// registered equation; otherwise theta is still a valid change of measure and only
  /// the stationarity is approximate).  batch.dw then holds the shifted increments.
  void SetControl(bool on) { control_ = on; }
  bool Controlled() const { return control_; }
  double LossClip() const { return loss_clip_; }

  /// Draws the noise of global samples [first, first + batch.B) of `stream` and
  /// simulates their forward paths (controlled: with the drift sigma theta of the
  /// current parameters, batch.theta; the paths then depend on the parameters, so a
  /// batch must be simulated again after they change).
  void Simulate(uint64_t seed, uint64_t stream, uint64_t first, BsdeBatch& batch) const;

  /// Loss of the simulated batch (sum of weight * l); if grad != nullptr, also
  /// grad += weight * dL/dtheta (NumParams() entries, flat layout) and, if curvature !=
  /// nullptr, *curvature += weight * sum_b 2 (dY_N^b/dY_0)^2, the Gauss-Newton second
  /// derivative of the loss in Y_0 (exact when the driver does not depend on y and no
  /// sample is clipped).  The trainer steps Y_0 with it (a Newton step: Y_0 is a mean,
  /// and its natural step size is the size of the residuals, not Adam's lr).
  double Loss(BsdeBatch& batch, double weight, double* grad, double* curvature = nullptr);

  /// For the simulated batch and Y_0 = y0 (the network as it is): batch.r = Y_N - g(X_N)
  /// and batch.rbar = dY_N/dy0 for every sample.  Used to re-estimate u(0,x0) with the
  /// learned Z by Monte Carlo (E[Y_N - g] = 0 solved for y0 by Newton's method).
  void Residuals(BsdeBatch& batch, double y0);

 private:
  /// Network Z_0..Z_{N-1}, the exact Z_N (trapezoid) and g(X_N) for the simulated batch.
  void ForwardZ(BsdeBatch& batch) const;

  const Equation& eq_;
  std::unique_ptr<ZNetwork> net_;
  int N_;
  double dt_;
  SdeScheme sde_;
  BackwardScheme backward_;
  double loss_clip_ = 0;
  bool control_ = false;
  Vector params_;
};

}  // namespace udeflow::bsde
