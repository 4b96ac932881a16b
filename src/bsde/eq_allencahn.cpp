// Allen-Cahn equation (Han, Jentzen & E, PNAS 2018):
//   d_t u + Lap u + u - u^3 = 0,  u(T,x) = 1/(2 + 0.4 |x|^2),  x0 = 0,  T = 0.3,
// i.e. sigma = sqrt(2) I, mu = 0, f(t,x,y,z) = y - y^3.  No exact solution: the
// reference 0.052802 (branching diffusion, quoted by Han et al.) holds for d = 100,
// T = 0.3 only.  The trivial answer E[g(X_T)] is a 1-D quadrature.
#include <sstream>

#include "equations_private.hpp"
#include "udeflow/bsde/quadrature.hpp"

namespace udeflow::bsde {
namespace {

class AllenCahn final : public ScaledBrownianEquation {
 public:
  AllenCahn() : ScaledBrownianEquation(std::sqrt(2.0)) {}
  const char* Name() const override { return "allencahn"; }
  int DefaultSteps() const override { return 20; }
  std::string Describe() const override {
    std::ostringstream s;
    s << "Allen-Cahn d=" << dim_ << " T=" << horizon_
      << ": f = y - y^3, g = 1/(2 + 0.4|x|^2), sigma = sqrt(2) I, x0 = 0";
    return s.str();
  }

  void Driver(double, const ConstMatrixRef&, const ConstVectorRef& y, const ConstMatrixRef&,
              VectorRef f) const override {
    f = y - y.cwiseProduct(y).cwiseProduct(y);
  }
  void DriverVjp(double, const ConstMatrixRef&, const ConstVectorRef& y, const ConstMatrixRef&,
                 const ConstVectorRef& fbar, VectorRef ybar, MatrixRef) const override {
    ybar.array() += fbar.array() * (1.0 - 3.0 * y.array().square());
  }
  void DriverJvp(double, const ConstMatrixRef&, const ConstVectorRef& y, const ConstMatrixRef&,
                 const ConstVectorRef& ydot, const ConstMatrixRef&, VectorRef fdot) const override {
    fdot = ((1.0 - 3.0 * y.array().square()) * ydot.array()).matrix();
  }
  bool RadialForm(RadialProblem* full, RadialProblem* linear) const override {
    if (dim_ < 2) return false;
    full->dim = dim_, full->horizon = horizon_, full->sigma = s_;
    full->x0_sq = x0_.squaredNorm();
    full->terminal = [](double s) { return 1.0 / (2.0 + 0.4 * s); };
    *linear = *full;
    full->driver = [](double u, double, double* f, double* fu, double* fq) {
      *f = u - u * u * u, *fu = 1 - 3 * u * u, *fq = 0;
    };
    linear->driver = [](double u, double, double* f, double* fu, double* fq) {
      *f = u, *fu = 1, *fq = 0;  // u_t + Lap u + u = 0: the cubic term removed
    };
    return true;
  }
  void Terminal(const ConstMatrixRef& x, VectorRef g) const override {
    g = (1.0 / (2.0 + 0.4 * x.colwise().squaredNorm().array())).matrix().transpose();
  }
  void TerminalGradient(const ConstMatrixRef& x, MatrixRef grad) const override {
    for (Eigen::Index b = 0; b < x.cols(); ++b) {
      const double q = 2.0 + 0.4 * x.col(b).squaredNorm();
      grad.col(b) = (-0.8 / (q * q)) * x.col(b);
    }
  }

 protected:
  double DefaultHorizon() const override { return 0.3; }
  PetscErrorCode SetFromOptionsImpl(PetscOptionItems*) override { return 0; }
  void SetUpImpl() override {
    x0_ = Vector::Zero(dim_);
    if (dim_ == 100 && std::abs(horizon_ - 0.3) < 1e-14)
      SetReference(0.052802, "branching diffusion (Han, Jentzen & E 2018), about 5 digits");
    SetTrivialAnswer(AllenCahnTrivialAnswer(dim_, horizon_));
  }
};

}  // namespace

std::unique_ptr<Equation> CreateAllenCahnEquation() {
  return std::make_unique<AllenCahn>();
}

}  // namespace udeflow::bsde
