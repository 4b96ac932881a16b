// `udeflow evaluate`: held-out error of the trained closure vs un-closed baselines.
#include "commands.hpp"
#include "udeflow/workflow/evaluate.hpp"

namespace udeflow::app {

PetscErrorCode CommandEvaluate() {
  PetscFunctionBeginUser;
  // -evaluate_models: compare trained models of one physics (e.g. ocean columns:
  // convective adjustment alone, offline and online networks); otherwise the closure
  // against un-closed baselines at several resolutions.
  char models[4096] = "";
  PetscBool set = PETSC_FALSE;
  PetscCall(
      PetscOptionsGetString(nullptr, nullptr, "-evaluate_models", models, sizeof(models), &set));
  if (set) {
    std::vector<workflow::ModelComparisonRow> rows;
    PetscCall(workflow::EvaluateModels(PETSC_COMM_WORLD, models, &rows));
  } else {
    std::vector<workflow::EvaluationRow> rows;
    PetscCall(workflow::EvaluateCase(PETSC_COMM_WORLD, &rows));
  }
  PetscFunctionReturn(0);
}

}  // namespace udeflow::app
