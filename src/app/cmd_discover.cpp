// `udeflow discover`: recover the missing terms of an ODE case by sparse regression.
#include "commands.hpp"
#include "udeflow/discover/discover.hpp"

namespace udeflow::app {

PetscErrorCode CommandDiscover() {
  PetscFunctionBeginUser;
  discover::DiscoverSummary summary;
  PetscCall(discover::DiscoverCase(PETSC_COMM_WORLD, &summary));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::app
