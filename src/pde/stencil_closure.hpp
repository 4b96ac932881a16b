#pragma once
/// \file stencil_closure.hpp
/// A learnable 3-point stencil with a learnable scale (closure type "stencil"):
///
///   y = s (w1 x_{-1} + w2 x_0 + w3 x_{+1}),   theta = [w1, w2, w3, s]
///
/// The "CNN" of the Fisher-KPP universal PDE (Rackauckas et al. 2020): one 1-D
/// convolution kernel and the scale D0 in front of it.  Inputs are the three values of
/// a point's stencil along one axis (column = point); a physics applies it along every
/// axis of its grid (in 2-D a 5-point cross with the same weights), so it scales out
/// unchanged.  Pure Eigen: value, input VJP/JVP and parameter VJP/JVP.
///
/// Initialize() writes the consistent Laplacian stencil w = [1, -2, 1], s = 1; a physics
/// that wants another start (e.g. w0 = [1.1, -2.5, 1.0], D0 = 6.5) writes its own.  Configure()
/// needs n_in = 3 and n_out = 1 (throws udeflow::Error).
#include "udeflow/pde/closure.hpp"

namespace udeflow::pde {

class StencilClosure final : public Closure {
 public:
  static constexpr int kParams = 4;
  const char* Type() const override { return "stencil"; }
  void Configure(const ClosureConfig& config, int n_in, int n_out) override;
  int NumInputs() const override { return 3; }
  int NumOutputs() const override { return 1; }
  int NumParams() const override { return kParams; }
  void Initialize(double* theta) const override;
  void Forward(const nn::ConstMatrixRef& x, Tape& tape) const override;
  void Vjp(Tape& tape, const nn::ConstMatrixRef& ybar, nn::Matrix* xbar,
           double* gtheta) const override;
  void Jvp(Tape& tape, const nn::ConstMatrixRef& xdot, nn::Matrix* ydot) const override;
  void ParamJvp(Tape& tape, const double* thetadot, nn::Matrix* ydot) const override;
  double FlopsPerPoint() const override { return 6; }
  std::string Describe() const override;
};

}  // namespace udeflow::pde
