#pragma once
// The udeflow program's commands, one file each (cmd_<name>.cpp).
#include <petscsys.h>

namespace udeflow::app {

PetscErrorCode CommandGenerate();
PetscErrorCode CommandTrain();
PetscErrorCode CommandEvaluate();
PetscErrorCode CommandBsde();
PetscErrorCode CommandDiagnose();
PetscErrorCode CommandDiscover();

}  // namespace udeflow::app
