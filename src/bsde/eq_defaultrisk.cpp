// Black-Scholes equation with default risk (Han, Jentzen & E, PNAS 2018):
// dX = mu X dt + s diag(X) dW with mu = 0.02, s = 0.2, x0 = 100 (geometric Brownian
// motion, sampled exactly by the "exact" scheme), g(x) = min_i x_i, and
//   f(t,x,y,z) = -(1 - delta) Q(y) y - R y,
// Q piecewise linear: gamma_h for y < v_h, gamma_l for y >= v_l, linear in between
// (delta = 2/3, R = 0.02, gamma_h = 0.2, gamma_l = 0.02, v_h = 50, v_l = 70).
// Reference 57.300 (multilevel Picard) for the default set-up with d = 100 only.
#include <sstream>

#include "equations_private.hpp"
#include "udeflow/core/options.hpp"

namespace udeflow::bsde {
namespace {

class DefaultRisk final : public GbmEquation {
 public:
  DefaultRisk() {
    m_ = 0.02;
    s_ = 0.2;
  }
  const char* Name() const override { return "defaultrisk"; }
  int DefaultSteps() const override { return 40; }
  std::string Describe() const override {
    std::ostringstream s;
    s << "Black-Scholes with default risk d=" << dim_ << " T=" << horizon_ << " mu=" << m_
      << " sigma=" << s_ << " x0=" << x0_value_ << ": f = -(1-delta)Q(y)y - Ry, g = min_i x_i";
    return s.str();
  }

  void Driver(double, const ConstMatrixRef&, const ConstVectorRef& y, const ConstMatrixRef&,
              VectorRef f) const override {
    for (Eigen::Index b = 0; b < y.size(); ++b) f(b) = -(1.0 - kDelta) * Q(y(b)) * y(b) - kR * y(b);
  }
  void DriverVjp(double, const ConstMatrixRef&, const ConstVectorRef& y, const ConstMatrixRef&,
                 const ConstVectorRef& fbar, VectorRef ybar, MatrixRef) const override {
    for (Eigen::Index b = 0; b < y.size(); ++b) ybar(b) += fbar(b) * Fy(y(b));
  }
  void DriverJvp(double, const ConstMatrixRef&, const ConstVectorRef& y, const ConstMatrixRef&,
                 const ConstVectorRef& ydot, const ConstMatrixRef&, VectorRef fdot) const override {
    for (Eigen::Index b = 0; b < y.size(); ++b) fdot(b) = Fy(y(b)) * ydot(b);
  }
  void Terminal(const ConstMatrixRef& x, VectorRef g) const override {
    g = x.colwise().minCoeff().transpose();
  }
  void TerminalGradient(const ConstMatrixRef& x, MatrixRef grad) const override {
    grad.setZero();
    for (Eigen::Index b = 0; b < x.cols(); ++b) {
      Eigen::Index i;
      x.col(b).minCoeff(&i);
      grad(i, b) = 1.0;
    }
  }

 protected:
  double DefaultHorizon() const override { return 1.0; }
  PetscErrorCode SetFromOptionsImpl(PetscOptionItems* PetscOptionsObject) override {
    PetscFunctionBeginUser;
    PetscCall(UdeOptionsPositiveReal("-bsde_defaultrisk_x0", "Initial value of every asset",
                                     &x0_value_, nullptr));
    PetscFunctionReturn(0);
  }
  void SetUpImpl() override {
    x0_ = Vector::Constant(dim_, x0_value_);
    if (dim_ == 100 && std::abs(horizon_ - 1.0) < 1e-14 && x0_value_ == 100.0)
      SetReference(57.300, "multilevel Picard (Han, Jentzen & E 2018), about 5 digits");
  }

 private:
  static constexpr double kDelta = 2.0 / 3.0, kR = 0.02;
  static constexpr double kGammaH = 0.2, kGammaL = 0.02, kVh = 50.0, kVl = 70.0;
  static constexpr double kSlope = (kGammaH - kGammaL) / (kVh - kVl);
  static double Q(double y) {
    return y < kVh ? kGammaH : (y >= kVl ? kGammaL : kGammaH + kSlope * (y - kVh));
  }
  static double Qprime(double y) { return (y < kVh || y >= kVl) ? 0.0 : kSlope; }
  static double Fy(double y) { return -(1.0 - kDelta) * (Q(y) + Qprime(y) * y) - kR; }

  PetscReal x0_value_ = 100.0;
};

}  // namespace

std::unique_ptr<Equation> CreateDefaultRiskEquation() {
  return std::make_unique<DefaultRisk>();
}

}  // namespace udeflow::bsde
