#include "lotka_volterra.hpp"

#include <cmath>
#include <sstream>

#include "kernels/reaction.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/rng.hpp"

namespace udeflow::pde {

PetscErrorCode LotkaVolterra::SetFromOptions(MPI_Comm comm, const char* prefix) {
  PetscFunctionBeginUser;
  const std::string p = std::string(prefix ? prefix : "") + "lv_";
  PetscBool u0_set = PETSC_FALSE;
  PetscOptionsBegin(comm, p.c_str(), "Lotka-Volterra physics", "physics");
  PetscCall(UdeOptionsReal("-alpha", "Prey growth rate alpha", &alpha_, nullptr));
  PetscCall(UdeOptionsReal("-beta", "Predation rate beta (truth only)", &beta_, nullptr));
  PetscCall(UdeOptionsReal("-gamma", "Predator growth by predation gamma (truth only)", &gamma_,
                           nullptr));
  PetscCall(UdeOptionsReal("-delta", "Predator death rate delta", &delta_, nullptr));
  PetscCall(PetscOptionsBool("-interactions",
                             "Include -beta xy and +gamma xy in the known part (the truth)", "",
                             interactions_, &interactions_, nullptr));
  PetscCall(UdeOptionsRealList("-u0", "Initial state x0,y0 (scenario seed 0)", &u0_, 16, &u0_set));
  PetscCall(UdeOptionsNonNegativeReal(
      "-ic_spread", "Relative spread of the initial states of seeds > 0", &ic_spread_, nullptr));
  PetscOptionsEnd();
  PetscCheck(u0_.size() == 2, comm, PETSC_ERR_USER_INPUT,
             "option -%su0: the state has 2 entries (x, y), got %zu values", p.c_str(), u0_.size());
  PetscCall(OdeSetFromOptions(comm, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode LotkaVolterra::SetUp() {
  PetscFunctionBeginUser;
  PetscCall(OdeSetUp());
  scenario_ = {u0_[0], u0_[1]};
  PetscFunctionReturn(0);
}

std::string LotkaVolterra::Describe() const {
  std::ostringstream s;
  s << "lotka_volterra: x' = " << alpha_ << " x";
  if (interactions_) s << " - " << beta_ << " xy";
  s << " + U1, y' = -" << delta_ << " y";
  if (interactions_) s << " + " << gamma_ << " xy";
  s << " + U2; closure " << (GetClosure() ? GetClosure()->Describe() : std::string("none"));
  return s.str();
}

PetscErrorCode LotkaVolterra::MakeScenario(uint64_t seed, Scenario* sc) const {
  PetscFunctionBeginUser;
  *sc = {u0_[0], u0_[1]};
  if (seed != 0) {
    double a, b;
    Philox::Uniform2(seed, 0x4c56ULL, 0x4943ULL, &a, &b);
    (*sc)[0] *= 1 + ic_spread_ * (2 * a - 1);
    (*sc)[1] *= 1 + ic_spread_ * (2 * b - 1);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode LotkaVolterra::SetScenario(const Scenario& sc) {
  PetscFunctionBeginUser;
  PetscCheck(sc.size() == 2 && std::isfinite(sc[0]) && std::isfinite(sc[1]), comm_,
             PETSC_ERR_FILE_UNEXPECTED,
             "lotka_volterra scenario: expected the initial state (x0, y0), got %zu numbers",
             sc.size());
  scenario_ = sc;
  PetscFunctionReturn(0);
}

PetscErrorCode LotkaVolterra::InitialCondition(Vec u) {
  PetscFunctionBeginUser;
  if (Owner()) {
    PetscScalar* a;
    PetscCall(VecGetArray(u, &a));
    a[0] = scenario_[0];
    a[1] = scenario_[1];
    PetscCall(VecRestoreArray(u, &a));
  } else {  // the object state changes on every rank (see TouchWritten in ode.cpp)
    PetscScalar* a;
    PetscCall(VecGetArray(u, &a));
    PetscCall(VecRestoreArray(u, &a));
  }
  PetscFunctionReturn(0);
}

kernels::LotkaVolterraParams LotkaVolterra::KnownTerms() const {
  kernels::LotkaVolterraParams P;
  P.alpha = alpha_;
  P.beta = beta_;
  P.gamma = gamma_;
  P.delta = delta_;
  P.interactions = interactions_;
  return P;
}

void LotkaVolterra::KnownRhs(double, const double* u, double* g) const {
  kernels::LotkaVolterraRhs(KnownTerms(), u, g);
}

void LotkaVolterra::KnownJacobian(double, const double* u, double* J) const {
  kernels::LotkaVolterraJacobian(KnownTerms(), u, J);
}

}  // namespace udeflow::pde
