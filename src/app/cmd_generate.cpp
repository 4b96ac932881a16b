// `udeflow generate`: truth trajectories -> HDF5 dataset (+ XDMF).
#include "commands.hpp"
#include "udeflow/train/generate.hpp"

namespace udeflow::app {

PetscErrorCode CommandGenerate() { return train::GenerateDataset(PETSC_COMM_WORLD); }

}  // namespace udeflow::app
