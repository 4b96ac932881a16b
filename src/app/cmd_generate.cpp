// `udeflow generate`: truth trajectories -> HDF5 dataset (+ XDMF).
#include "commands.hpp"
#include "udeflow/core/signals.hpp"
#include "udeflow/workflow/generate.hpp"

namespace udeflow::app {

PetscErrorCode CommandGenerate() {
  PetscFunctionBeginUser;
  StopSignalGuard stop_guard;  // a SIGTERM/SIGUSR1 during set-up stops after the first trajectory
  PetscCall(workflow::GenerateDataset(PETSC_COMM_WORLD));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::app
