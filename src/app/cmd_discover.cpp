// `udeflow discover`: recover the missing terms of an ODE case by sparse regression.
#include "commands.hpp"
#include "udeflow/workflow/discover.hpp"

namespace udeflow::app {

PetscErrorCode CommandDiscover() {
  PetscFunctionBeginUser;
  workflow::DiscoverSummary summary;
  PetscCall(workflow::DiscoverCase(PETSC_COMM_WORLD, &summary));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::app
