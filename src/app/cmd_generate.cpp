// `udeflow generate`.
#include "commands.hpp"

namespace udeflow::app {

PetscErrorCode CommandGenerate() {
  SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_SUP, "the generate command is not built yet");
}

}  // namespace udeflow::app
