// `udeflow generate`: truth trajectories -> HDF5 dataset (+ XDMF).
#include "commands.hpp"
#include "udeflow/workflow/generate.hpp"

namespace udeflow::app {

PetscErrorCode CommandGenerate() {
  return workflow::GenerateDataset(PETSC_COMM_WORLD);
}

}  // namespace udeflow::app
