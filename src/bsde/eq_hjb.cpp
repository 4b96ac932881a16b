// Hamilton-Jacobi-Bellman equation of a linear-quadratic-Gaussian control problem
// (Han, Jentzen & E, PNAS 2018):
//   d_t u + Lap u - lambda |grad u|^2 = 0,  u(T,x) = ln((1+|x|^2)/2),  x0 = 0,
// i.e. sigma = sqrt(2) I, mu = 0, f(t,x,y,z) = -lambda/2 |z|^2 with z = sqrt(2) grad u.
// Note the 1/2: the original code once used -lambda |z|^2, which solves lambda = 2.
// Exact value by Cole-Hopf and a 1-D quadrature (quadrature.hpp).
#include <sstream>

#include "equations_private.hpp"
#include "udeflow/bsde/quadrature.hpp"
#include "udeflow/core/options.hpp"

namespace udeflow::bsde {
namespace {

class Hjb final : public ScaledBrownianEquation {
 public:
  Hjb() : ScaledBrownianEquation(std::sqrt(2.0)) {}
  const char* Name() const override { return "hjb"; }
  int DefaultSteps() const override { return 20; }
  std::string Describe() const override {
    std::ostringstream s;
    s << "HJB/LQG d=" << dim_ << " T=" << horizon_ << " lambda=" << lambda_
      << ": f = -lambda/2 |z|^2, g = ln((1+|x|^2)/2), sigma = sqrt(2) I, x0 = 0";
    return s.str();
  }

  void Driver(double, const ConstMatrixRef&, const ConstVectorRef&, const ConstMatrixRef& z,
              VectorRef f) const override {
    f = (-0.5 * lambda_) * z.colwise().squaredNorm().transpose();
  }
  void DriverVjp(double, const ConstMatrixRef&, const ConstVectorRef&, const ConstMatrixRef& z,
                 const ConstVectorRef& fbar, VectorRef, MatrixRef zbar) const override {
    for (Eigen::Index b = 0; b < z.cols(); ++b) zbar.col(b) += (-lambda_ * fbar(b)) * z.col(b);
  }
  void DriverJvp(double, const ConstMatrixRef&, const ConstVectorRef&, const ConstMatrixRef& z,
                 const ConstVectorRef&, const ConstMatrixRef& zdot, VectorRef fdot) const override {
    fdot = (-lambda_) * z.cwiseProduct(zdot).colwise().sum().transpose();
  }
  void Terminal(const ConstMatrixRef& x, VectorRef g) const override {
    g = (0.5 * (1.0 + x.colwise().squaredNorm().array())).log().matrix().transpose();
  }
  void TerminalGradient(const ConstMatrixRef& x, MatrixRef grad) const override {
    for (Eigen::Index b = 0; b < x.cols(); ++b)
      grad.col(b) = (2.0 / (1.0 + x.col(b).squaredNorm())) * x.col(b);
  }

 protected:
  double DefaultHorizon() const override { return 1.0; }
  PetscErrorCode SetFromOptionsImpl(PetscOptionItems* PetscOptionsObject) override {
    PetscFunctionBeginUser;
    PetscCall(UdeOptionsPositiveReal("-bsde_hjb_lambda",
                                     "HJB control cost weight lambda in f = -lambda/2 |z|^2",
                                     &lambda_, nullptr));
    PetscFunctionReturn(0);
  }
  void SetUpImpl() override {
    x0_ = Vector::Zero(dim_);
    SetReference(HjbExactValue(dim_, horizon_, lambda_), "exact (Cole-Hopf + 1-D quadrature)");
    SetTrivialAnswer(HjbTrivialAnswer(dim_, horizon_));
  }

 private:
  PetscReal lambda_ = 1.0;
};

}  // namespace

std::unique_ptr<Equation> CreateHjbEquation() {
  return std::make_unique<Hjb>();
}

}  // namespace udeflow::bsde
