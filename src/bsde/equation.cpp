// Equation base class and the equation registry.
#include "udeflow/bsde/equation.hpp"

#include "equations_private.hpp"
#include "udeflow/core/error.hpp"
#include "udeflow/core/options.hpp"

namespace udeflow::bsde {

void Equation::SetDimension(int d) {
  Require(d >= 1, "BSDE equation: the dimension must be positive");
  dim_ = d;
}

void Equation::SetHorizon(double T) {
  Require(T > 0, "BSDE equation: the horizon T must be positive");
  horizon_ = T;
}

PetscErrorCode Equation::SetFromOptions(MPI_Comm comm) {
  PetscFunctionBeginUser;
  PetscReal T = horizon_ > 0 ? horizon_ : DefaultHorizon();
  PetscOptionsBegin(comm, nullptr, "BSDE equation options", nullptr);
  PetscCall(UdeOptionsPositiveReal(
      "-bsde_horizon", "Terminal time T of the PDE (default: the equation's own)", &T, nullptr));
  PetscCall(SetFromOptionsImpl(PetscOptionsObject));
  PetscOptionsEnd();
  horizon_ = T;
  PetscFunctionReturn(0);
}

void Equation::SetUp() {
  if (horizon_ <= 0) horizon_ = DefaultHorizon();
  SetUpImpl();
  Require(x0_.size() == dim_, "BSDE equation: x0 has the wrong length");
}

void Equation::ExactStep(double, double, const ConstMatrixRef&, const ConstMatrixRef&,
                         MatrixRef) const {
  throw Error(std::string("equation ") + Name() + " has no exact-in-law SDE step");
}

bool Equation::RadialForm(RadialProblem*, RadialProblem*) const {
  return false;
}

Registry<Equation>& EquationRegistry() {
  static Registry<Equation> registry;
  return registry;
}

void EquationRegisterAll() {
  static bool done = false;
  if (done) return;
  done = true;
  Registry<Equation>& r = EquationRegistry();
  r.Add("hjb",
        "Hamilton-Jacobi-Bellman (LQG control), f = -lambda/2 |z|^2, exact value by quadrature",
        CreateHjbEquation);
  r.Add("allencahn", "Allen-Cahn, f = y - y^3", CreateAllenCahnEquation);
  r.Add("bsb", "Black-Scholes-Barenblatt (Raissi 2018), exact value in closed form",
        CreateBsbEquation);
  r.Add("defaultrisk", "Black-Scholes with default risk (nonlinear pricing)",
        CreateDefaultRiskEquation);
}

}  // namespace udeflow::bsde
