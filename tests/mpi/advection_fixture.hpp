#pragma once
// Shared set-up for the advection tests: a small periodic advection problem (1-D or 2-D)
// whose loss is the mean squared misfit to the exact solution at a few times.
#include <petscdmda.h>

#include <memory>
#include <string>
#include <vector>

#include "pde/advection.hpp"
#include "test_util.hpp"
#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/core/rng.hpp"
#include "udeflow/pde/physics.hpp"
#include "udeflow/train/observers.hpp"

namespace udeflow::test {

struct AdvectionProblem {
  std::unique_ptr<pde::Physics> physics;
  AlignedVector<double> params;  // the parameters the physics reads (initial after Create)
  std::unique_ptr<adjoint::Integrator> integrator;
  std::unique_ptr<adjoint::Observer> observer;
  std::vector<Vec> data;
  Vec u0 = nullptr;
  std::vector<PetscReal> times;

  PetscErrorCode Create(MPI_Comm comm, const std::string& opts, int K = 3, PetscReal dt_obs = 0.05,
                        uint64_t seed = 4) {
    PetscFunctionBeginUser;
    ScopedOptions scoped("-physics advection " + opts);
    PetscCall(pde::PhysicsCreateFromOptions(comm, nullptr, "advection", &physics));
    PetscCall(physics->SetUp());
    PetscCall(pde::BindInitialParams(*physics, &params));
    pde::Scenario sc;
    PetscCall(physics->MakeScenario(seed, &sc));
    PetscCall(physics->SetScenario(sc));
    integrator = std::make_unique<adjoint::Integrator>(physics.get());
    PetscCall(integrator->SetFromOptions(nullptr));
    PetscCall(integrator->SetUp());
    PetscCall(DMCreateGlobalVector(physics->Grid(), &u0));
    PetscCall(physics->InitialCondition(u0));
    bool ok;
    for (int k = 1; k <= K; ++k) {
      times.push_back(dt_obs * k);
      Vec d;
      PetscCall(VecDuplicate(u0, &d));
      PetscCall(physics->ExactSolution(times.back(), d, &ok));
      data.push_back(d);
    }
    observer = std::make_unique<train::DataMisfit>(&data, 1.0);
    PetscFunctionReturn(0);
  }
  ~AdvectionProblem() {
    observer.reset();
    for (Vec& d : data) VecDestroy(&d);
    VecDestroy(&u0);
  }
  PetscErrorCode Loss(const std::vector<double>& theta, PetscReal* loss) {
    PetscFunctionBeginUser;
    params.assign(theta.begin(), theta.end());
    PetscCall(physics->BindParams(params.data()));
    PetscCall(integrator->Forward(0.0, u0, times, observer.get(), loss));
    PetscFunctionReturn(0);
  }
  PetscErrorCode Gradient(const std::vector<double>& theta, PetscReal* loss,
                          std::vector<double>* g) {
    PetscFunctionBeginUser;
    g->assign(physics->NumParams(), 0.0);
    params.assign(theta.begin(), theta.end());
    PetscCall(physics->BindParams(params.data()));
    PetscCall(integrator->Gradient(0.0, u0, times, observer.get(), loss, g->data()));
    PetscFunctionReturn(0);
  }
};

// A learned limiter on smooth initial data (Gaussians and sines: no exactly flat regions,
// so no face sits on the q = 0 kink) with a network far from the trivial one.
inline const char* kAdvectionLearned =
    "-advection_limiter learned -advection_ic_kinds gaussian,sine -closure_type mlp "
    "-closure_hidden 8,8 "
    "-closure_activation tanh -closure_init_scale 2 -closure_seed 3 ";

}  // namespace udeflow::test
