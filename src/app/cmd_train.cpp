// `udeflow train`: fit the closure through the solver.
#include "commands.hpp"
#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/io/dataset.hpp"
#include "udeflow/train/case.hpp"
#include "udeflow/train/trainer.hpp"

namespace udeflow::app {

PetscErrorCode CommandTrain() {
  PetscFunctionBeginUser;
  MPI_Comm comm = PETSC_COMM_WORLD;
  train::CasePaths paths;
  PetscCall(train::CasePathsFromOptions(comm, &paths));
  train::TrainGroups groups;
  PetscCall(groups.Create(comm));
  std::unique_ptr<pde::Physics> physics;
  PetscCall(pde::PhysicsCreateFromOptions(groups.group, nullptr, "burgers", &physics));
  PetscCall(physics->SetUp());
  adjoint::Integrator integ(physics.get());
  PetscCall(integ.SetFromOptions(nullptr));
  PetscCall(integ.SetUp());
  io::Dataset data;
  train::Trainer trainer(physics.get(), &integ, &data, &groups);
  PetscCall(trainer.SetFromOptions());
  PetscBool help;
  PetscCall(PetscOptionsHasHelp(nullptr, &help));
  if (help) PetscFunctionReturn(0);
  PetscCall(data.Open(groups.group, paths.dataset, "option -dataset"));
  PetscCall(data.CheckCompatible(*physics));
  PetscCall(trainer.SetUp());
  PetscCall(PetscPrintf(comm, "train: model %s\n       %s\n       data %s; %d group(s) of ranks share each batch\n",
                        physics->Describe().c_str(), integ.Describe().c_str(), paths.dataset.c_str(), groups.count));
  train::TrainResult result;
  PetscCall(trainer.Run(paths.checkpoint, &result));
  PetscCall(train::SaveModel(comm, paths.model, *physics, result.theta, result.iterations, result.loss));
  PetscCall(PetscPrintf(comm, "train: %lld iterations in %.1f s, last loss %.4e; model written to %s\n",
                        result.iterations, result.seconds, result.loss, paths.model.c_str()));
  if (groups.id == 0) PetscCall(physics->ReportLearned(""));  // collective on the group
  PetscCall(groups.Destroy());
  PetscFunctionReturn(0);
}

}  // namespace udeflow::app
