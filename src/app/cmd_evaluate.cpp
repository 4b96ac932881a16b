// `udeflow evaluate`: held-out error of the trained closure vs un-closed baselines.
#include "commands.hpp"
#include "udeflow/train/evaluate.hpp"

namespace udeflow::app {

PetscErrorCode CommandEvaluate() {
  std::vector<train::EvaluationRow> rows;
  return train::EvaluateCase(PETSC_COMM_WORLD, &rows);
}

}  // namespace udeflow::app
