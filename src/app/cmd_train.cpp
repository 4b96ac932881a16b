// `udeflow train`: fit the closure through the solver (workflow/train.hpp).
#include "commands.hpp"
#include "udeflow/core/signals.hpp"
#include "udeflow/workflow/train.hpp"

namespace udeflow::app {

PetscErrorCode CommandTrain() {
  PetscFunctionBeginUser;
  StopSignalGuard stop_guard;  // a SIGTERM/SIGUSR1 during set-up stops after the first iteration
  train::TrainResult result;
  PetscCall(workflow::TrainCase(PETSC_COMM_WORLD, &result));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::app
