// `udeflow train`.
#include "commands.hpp"

namespace udeflow::app {

PetscErrorCode CommandTrain() {
  SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_SUP, "the train command is not built yet");
}

}  // namespace udeflow::app
