// `udeflow diagnose`: downwind blow-up and backward-in-time reversal, with numbers.
#include "commands.hpp"
#include "udeflow/train/diagnose.hpp"

namespace udeflow::app {

PetscErrorCode CommandDiagnose() {
  train::DiagnoseResult result;
  return train::Diagnose(PETSC_COMM_WORLD, &result);
}

}  // namespace udeflow::app
