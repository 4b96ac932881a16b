// `udeflow bsde`: deep BSDE solver for high-dimensional semilinear parabolic PDEs
// (Hamilton-Jacobi-Bellman, Allen-Cahn, Black-Scholes type), data-parallel over the
// MPI ranks.  See include/udeflow/bsde/trainer.hpp and README.md ("Deep BSDE module").
#include "commands.hpp"
#include "udeflow/bsde/trainer.hpp"
#include "udeflow/core/signals.hpp"
#include "udeflow/io/latest.hpp"
#include "udeflow/workflow/case.hpp"

namespace udeflow::app {

PetscErrorCode CommandBsde() {
  PetscFunctionBeginUser;
  StopSignalGuard stop_guard;  // a SIGTERM/SIGUSR1 during set-up stops after the first iteration
  bsde::Trainer trainer(PETSC_COMM_WORLD);
  PetscCall(workflow::SetDefaultOutputDir());  // results/<case> unless -output_dir is given
  PetscCall(trainer.SetFromOptions());
  PetscBool help = PETSC_FALSE;
  PetscCall(PetscOptionsHasHelp(nullptr, &help));
  if (help) PetscFunctionReturn(0);  // -help: the options have been listed; do not train
  PetscCall(trainer.SetUp());
  io::RunLock dir_lock, lock;  // one run at a time in the output directory, on a training state
  PetscCall(
      dir_lock.AcquireDirectory(PETSC_COMM_WORLD, trainer.OutputPath(""), "option -output_dir"));
  PetscCall(lock.Acquire(PETSC_COMM_WORLD, trainer.OutputPath("bsde_checkpoint.h5"),
                         "option -output_dir"));
  PetscCall(trainer.Train());
  PetscFunctionReturn(0);
}

}  // namespace udeflow::app
