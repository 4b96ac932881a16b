// `udeflow diagnose`: downwind blow-up and backward-in-time reversal, with numbers.
#include "commands.hpp"
#include "udeflow/workflow/diagnose.hpp"

namespace udeflow::app {

PetscErrorCode CommandDiagnose() {
  workflow::DiagnoseResult result;
  return workflow::Diagnose(PETSC_COMM_WORLD, &result);
}

}  // namespace udeflow::app
