// Hamilton-Jacobi-Bellman equation of a linear-quadratic-Gaussian control problem
// (Han, Jentzen & E, PNAS 2018):
//   d_t u + Lap u - lambda |grad u|^2 = 0,  u(T,x) = ln((1+|x|^2)/2),  x0 = 0,
// i.e. sigma = sqrt(2) I, mu = 0, f(t,x,y,z) = -lambda/2 |z|^2 with z = sqrt(2) grad u.
// Note the 1/2: the original code once used -lambda |z|^2, which solves lambda = 2.
// Exact value by Cole-Hopf and a 1-D quadrature (quadrature.hpp).
//
// -bsde_hjb_zmax c > 0: the control is bounded, and the Hamiltonian is quadratic only for
// |z| <= c and linear beyond (C^1, concave):
//   f = -lambda/2 |z|^2 for |z| <= c,   f = -lambda c |z| + lambda c^2 / 2 for |z| > c
// (the control m = -sqrt(lambda) grad u of the LQG problem clipped to |m| <= sqrt(lambda/2) c).
// No Cole-Hopf transform then: the reference is the radial PDE solver's (radial.hpp).
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
    if (zmax_ > 0)
      s << "; bounded control: f = -lambda zmax |z| + lambda zmax^2/2 for |z| > " << zmax_;
    return s.str();
  }

  void Driver(double, const ConstMatrixRef&, const ConstVectorRef&, const ConstMatrixRef& z,
              VectorRef f) const override {
    if (zmax_ > 0) {
      for (Eigen::Index b = 0; b < z.cols(); ++b) f(b) = Hamiltonian(z.col(b).norm());
      return;
    }
    f = (-0.5 * lambda_) * z.colwise().squaredNorm().transpose();
  }
  void DriverVjp(double, const ConstMatrixRef&, const ConstVectorRef&, const ConstMatrixRef& z,
                 const ConstVectorRef& fbar, VectorRef, MatrixRef zbar) const override {
    if (zmax_ > 0) {
      for (Eigen::Index b = 0; b < z.cols(); ++b)
        zbar.col(b) += (-lambda_ * fbar(b) * GradientScale(z.col(b).norm())) * z.col(b);
      return;
    }
    for (Eigen::Index b = 0; b < z.cols(); ++b) zbar.col(b) += (-lambda_ * fbar(b)) * z.col(b);
  }
  void DriverJvp(double, const ConstMatrixRef&, const ConstVectorRef&, const ConstMatrixRef& z,
                 const ConstVectorRef&, const ConstMatrixRef& zdot, VectorRef fdot) const override {
    if (zmax_ > 0) {
      for (Eigen::Index b = 0; b < z.cols(); ++b)
        fdot(b) = -lambda_ * GradientScale(z.col(b).norm()) * z.col(b).dot(zdot.col(b));
      return;
    }
    fdot = (-lambda_) * z.cwiseProduct(zdot).colwise().sum().transpose();
  }
  bool RadialForm(RadialProblem* full, RadialProblem* linear) const override {
    if (dim_ < 2) return false;
    full->dim = dim_, full->horizon = horizon_, full->sigma = s_;
    full->x0_sq = x0_.squaredNorm();
    full->terminal = [](double s) { return std::log(0.5 * (1.0 + s)); };
    *linear = *full;  // f = 0: the answer is the trivial one, E[g(X_T)]
    const double lambda = lambda_, c = zmax_;
    full->driver = [lambda, c](double, double q, double* f, double* fu, double* fq) {
      const bool quadratic = c <= 0 || q <= c;
      *f = quadratic ? -0.5 * lambda * q * q : -lambda * c * q + 0.5 * lambda * c * c;
      *fu = 0, *fq = quadratic ? -lambda * q : -lambda * c;
    };
    return true;
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
    PetscCall(UdeOptionsNonNegativeReal(
        "-bsde_hjb_zmax",
        "Bounded control: f = -lambda/2 |z|^2 only for |z| <= zmax, linear in |z| beyond "
        "(0: unbounded, the LQG problem)",
        &zmax_, nullptr));
    PetscFunctionReturn(0);
  }
  void SetUpImpl() override {
    x0_ = Vector::Zero(dim_);
    SetTrivialAnswer(HjbTrivialAnswer(dim_, horizon_));
    if (zmax_ <= 0) {
      SetReference(HjbExactValue(dim_, horizon_, lambda_), "exact (Cole-Hopf + 1-D quadrature)");
    } else if (dim_ >= 2) {
      RadialProblem full, linear;
      RadialForm(&full, &linear);
      const RadialResult r = SolveRadial(full, RadialGrid());
      SetReference(r.value, r.Describe());
    }
  }

 private:
  double Hamiltonian(double q) const {
    return q <= zmax_ ? -0.5 * lambda_ * q * q
                      : -lambda_ * zmax_ * q + 0.5 * lambda_ * zmax_ * zmax_;
  }
  // df/dz = -lambda * GradientScale(|z|) * z.
  double GradientScale(double q) const { return q <= zmax_ ? 1.0 : zmax_ / q; }

  PetscReal lambda_ = 1.0;
  PetscReal zmax_ = 0;  ///< bound of |z| in the quadratic Hamiltonian (0: none)
};

}  // namespace

std::unique_ptr<Equation> CreateHjbEquation() {
  return std::make_unique<Hjb>();
}

}  // namespace udeflow::bsde
