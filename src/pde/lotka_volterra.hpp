#pragma once
/// \file lotka_volterra.hpp
/// Lotka-Volterra with missing interactions (Rackauckas et al. 2020, UDE paper):
///
///   truth:  x' = alpha x - beta x y,      y' = gamma x y - delta y
///   model:  x' = alpha x + U1(x, y),      y' = -delta y + U2(x, y)
///
/// with U a closure (x, y) -> (U1, U2) (e.g. -closure_type mlp).  The truth is the same
/// physics with -lv_interactions true (the -beta xy, +gamma xy terms in the known part)
/// and no closure.  A scenario is the initial state (x0, y0): seed 0 gives -lv_u0,
/// other seeds -lv_u0 scaled by 1 + spread (2U - 1) per component (-lv_ic_spread), so
/// a dataset can hold several trajectories for mini-batches.
///
/// Options (prefix + "lv_"): alpha, beta, gamma, delta, interactions, u0, ic_spread;
/// and those of OdePhysics (ode.hpp).
#include "ode.hpp"

namespace udeflow::pde {

namespace kernels {  // the known terms (src/pde/kernels/reaction.hpp)
struct LotkaVolterraParams;
}  // namespace kernels

class LotkaVolterra final : public OdePhysics {
 public:
  const char* Type() const override { return "lotka_volterra"; }
  PetscErrorCode SetFromOptions(MPI_Comm comm, const char* prefix) override;
  PetscErrorCode SetUp() override;
  std::string Describe() const override;
  std::vector<std::string> FieldNames() const override { return {"x", "y"}; }

  PetscErrorCode MakeScenario(uint64_t seed, Scenario* scenario) const override;
  PetscErrorCode SetScenario(const Scenario& scenario) override;
  PetscErrorCode InitialCondition(Vec u) override;

  int StateSize() const override { return 2; }
  void KnownRhs(double t, const double* u, double* g) const override;
  void KnownJacobian(double t, const double* u, double* J) const override;

  double Alpha() const { return alpha_; }
  double Beta() const { return beta_; }
  double Gamma() const { return gamma_; }
  double Delta() const { return delta_; }
  bool Interactions() const { return interactions_; }

 private:
  kernels::LotkaVolterraParams KnownTerms() const;

  PetscReal alpha_ = 1.3, beta_ = 0.9, gamma_ = 0.8, delta_ = 1.8;
  PetscBool interactions_ = PETSC_FALSE;
  std::vector<PetscReal> u0_ = {0.44249296, 4.6280594};
  PetscReal ic_spread_ = 0;
  Scenario scenario_;
};

}  // namespace udeflow::pde
