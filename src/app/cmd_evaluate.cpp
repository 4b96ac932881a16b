// `udeflow evaluate`.
#include "commands.hpp"

namespace udeflow::app {

PetscErrorCode CommandEvaluate() {
  SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_SUP, "the evaluate command is not built yet");
}

}  // namespace udeflow::app
