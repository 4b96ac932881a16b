// `udeflow bsde`: deep BSDE solver for high-dimensional semilinear parabolic PDEs.
#include "commands.hpp"

namespace udeflow::app {

PetscErrorCode CommandBsde() {
  SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_SUP, "the bsde command is not built yet");
}

}  // namespace udeflow::app
