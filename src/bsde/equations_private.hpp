#pragma once
// Private to src/bsde: the factories of the registered equations (one file each,
// listed in EquationRegisterAll()) and the two forward SDEs they share.
#include <cmath>
#include <memory>

#include "udeflow/bsde/equation.hpp"

namespace udeflow::bsde {

std::unique_ptr<Equation> CreateHjbEquation();
std::unique_ptr<Equation> CreateAllenCahnEquation();
std::unique_ptr<Equation> CreateBsbEquation();
std::unique_ptr<Equation> CreateDefaultRiskEquation();

/// Forward SDE dX = s dW (mu = 0, sigma = s I): X is a scaled Brownian motion, so the
/// Euler step is already exact in law.
class ScaledBrownianEquation : public Equation {
 public:
  explicit ScaledBrownianEquation(double s) : s_(s) {}
  void Drift(double, const ConstMatrixRef&, MatrixRef out) const override { out.setZero(); }
  void Diffusion(double, const ConstMatrixRef&, const ConstMatrixRef& v,
                 MatrixRef out) const override {
    out = s_ * v;
  }
  void DiffusionTranspose(double, const ConstMatrixRef&, const ConstMatrixRef& v,
                          MatrixRef out) const override {
    out = s_ * v;
  }
  bool HasExactStep() const override { return true; }
  void ExactStep(double, double, const ConstMatrixRef& x, const ConstMatrixRef& dw,
                 MatrixRef out) const override {
    out = x + s_ * dw;
  }

 protected:
  double s_;
};

/// Forward SDE dX = m X dt + s diag(X) dW (independent geometric Brownian motions);
/// the exact step is X exp((m - s^2/2) dt + s dW).
class GbmEquation : public Equation {
 public:
  void Drift(double, const ConstMatrixRef& x, MatrixRef out) const override { out = m_ * x; }
  void Diffusion(double, const ConstMatrixRef& x, const ConstMatrixRef& v,
                 MatrixRef out) const override {
    out = s_ * x.cwiseProduct(v);
  }
  void DiffusionTranspose(double, const ConstMatrixRef& x, const ConstMatrixRef& v,
                          MatrixRef out) const override {
    out = s_ * x.cwiseProduct(v);
  }
  bool HasExactStep() const override { return true; }
  void ExactStep(double, double dt, const ConstMatrixRef& x, const ConstMatrixRef& dw,
                 MatrixRef out) const override {
    out = x.cwiseProduct(((m_ - 0.5 * s_ * s_) * dt + s_ * dw.array()).exp().matrix());
  }

 protected:
  double m_ = 0, s_ = 0;  ///< drift rate and volatility
};

}  // namespace udeflow::bsde
