#pragma once
// A trainer built from the options in effect (physics, integrator, the dataset of
// -output_dir, training groups), and a central-difference check of a gradient along a
// direction: shared by the training-method tests of the ODE and PDE physics.
#include <functional>
#include <memory>
#include <vector>

#include "test_util.hpp"
#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/io/dataset.hpp"
#include "udeflow/train/trainer.hpp"
#include "udeflow/workflow/case.hpp"

namespace udeflow::test {

/// Physics `physics_name`, its integrator, the dataset and a set-up trainer.
struct TrainerSetup {
  train::TrainGroups groups;
  std::unique_ptr<pde::Physics> physics;
  std::unique_ptr<adjoint::Integrator> integ;
  io::Dataset data;
  std::unique_ptr<train::Trainer> trainer;
  PetscErrorCode Create(const char* physics_name) {
    PetscFunctionBeginUser;
    workflow::CasePaths paths;
    PetscCall(workflow::CasePathsFromOptions(PETSC_COMM_WORLD, &paths));
    PetscCall(groups.Create(PETSC_COMM_WORLD));
    PetscCall(pde::PhysicsCreateFromOptions(groups.group, nullptr, physics_name, &physics));
    PetscCall(physics->SetUp());
    integ = std::make_unique<adjoint::Integrator>(physics.get());
    PetscCall(integ->SetFromOptions(nullptr));
    PetscCall(integ->SetUp());
    PetscCall(data.Open(groups.group, paths.dataset, "option -dataset"));
    trainer = std::make_unique<train::Trainer>(physics.get(), integ.get(), &data, &groups);
    PetscCall(trainer->SetFromOptions());
    PetscCall(trainer->SetUp());
    PetscFunctionReturn(0);
  }
  ~TrainerSetup() {
    trainer.reset();
    integ.reset();
    physics.reset();
    groups.Destroy();
  }
};

/// Central difference (loss(x + h d) - loss(x - h d)) / 2h along d, which covers the first
/// d.size() entries of x, and the gradient's g . d: *fd and *gd.
template <class Vector>
void DirectionalFd(const Vector& x, const std::vector<double>& d, const std::vector<double>& g,
                   double h, const std::function<double(const Vector&)>& loss, double* fd,
                   double* gd) {
  Vector xp = x, xm = x;
  *gd = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    xp[i] += h * d[i];
    xm[i] -= h * d[i];
    *gd += g[i] * d[i];
  }
  *fd = (loss(xp) - loss(xm)) / (2 * h);
}

}  // namespace udeflow::test
