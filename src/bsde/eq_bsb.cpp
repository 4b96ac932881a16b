// Black-Scholes-Barenblatt equation (Raissi 2018):
//   d_t u + 1/2 s^2 sum_i x_i^2 u_{x_i x_i} = r (u - x . grad u),  u(T,x) = |x|^2,
// x0 = (1, 0.5, 1, 0.5, ...), s = 0.4, r = 0.05.  Forward SDE dX = s diag(X) dW (geometric
// Brownian motion, sampled exactly by the "exact" scheme), z = s diag(x) grad u, so
// f(t,x,y,z) = -r (y - sum_i z_i / s).  Exact: u(t,x) = exp((r + s^2)(T - t)) |x|^2.
#include <sstream>

#include "equations_private.hpp"
#include "udeflow/core/options.hpp"

namespace udeflow::bsde {
namespace {

class Bsb final : public GbmEquation {
 public:
  Bsb() { s_ = 0.4; }
  const char* Name() const override { return "bsb"; }
  int DefaultSteps() const override { return 50; }
  std::string Describe() const override {
    std::ostringstream s;
    s << "Black-Scholes-Barenblatt d=" << dim_ << " T=" << horizon_ << " sigma=" << s_
      << " r=" << r_
      << ": f = -r(y - sum z/sigma), g = |x|^2, dX = sigma diag(X) dW, x0 = (1,0.5,...)";
    return s.str();
  }

  void Driver(double, const ConstMatrixRef&, const ConstVectorRef& y, const ConstMatrixRef& z,
              VectorRef f) const override {
    for (Eigen::Index b = 0; b < y.size(); ++b) f(b) = -r_ * y(b) + (r_ / s_) * z.col(b).sum();
  }
  void DriverVjp(double, const ConstMatrixRef&, const ConstVectorRef&, const ConstMatrixRef&,
                 const ConstVectorRef& fbar, VectorRef ybar, MatrixRef zbar) const override {
    ybar -= r_ * fbar;
    for (Eigen::Index b = 0; b < fbar.size(); ++b) zbar.col(b).array() += (r_ / s_) * fbar(b);
  }
  void DriverJvp(double, const ConstMatrixRef&, const ConstVectorRef&, const ConstMatrixRef&,
                 const ConstVectorRef& ydot, const ConstMatrixRef& zdot,
                 VectorRef fdot) const override {
    for (Eigen::Index b = 0; b < ydot.size(); ++b)
      fdot(b) = -r_ * ydot(b) + (r_ / s_) * zdot.col(b).sum();
  }
  void Terminal(const ConstMatrixRef& x, VectorRef g) const override {
    g = x.colwise().squaredNorm().transpose();
  }
  void TerminalGradient(const ConstMatrixRef& x, MatrixRef grad) const override { grad = 2.0 * x; }

 protected:
  double DefaultHorizon() const override { return 1.0; }
  PetscErrorCode SetFromOptionsImpl(PetscOptionItems* PetscOptionsObject) override {
    PetscFunctionBeginUser;
    PetscCall(UdeOptionsPositiveReal("-bsde_bsb_sigma", "BSB volatility sigma", &s_, nullptr));
    PetscCall(UdeOptionsNonNegativeReal("-bsde_bsb_rate", "BSB interest rate r", &r_, nullptr));
    PetscFunctionReturn(0);
  }
  void SetUpImpl() override {
    x0_.resize(dim_);
    for (int i = 0; i < dim_; ++i) x0_[i] = (i % 2 == 0) ? 1.0 : 0.5;
    const double x0sq = x0_.squaredNorm();
    SetReference(std::exp((r_ + s_ * s_) * horizon_) * x0sq, "exact (closed form)");
    SetTrivialAnswer(std::exp(s_ * s_ * horizon_) * x0sq);  // E|X_T|^2
  }

 private:
  PetscReal r_ = 0.05;
};

}  // namespace

std::unique_ptr<Equation> CreateBsbEquation() {
  return std::make_unique<Bsb>();
}

}  // namespace udeflow::bsde
