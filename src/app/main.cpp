// udeflow: universal differential equations at HPC scale.
#include <petscsys.h>

#include <cstring>
#include <string>

#include "commands.hpp"
#include "udeflow/config.hpp"
#include "udeflow/core/session.hpp"

static const char kHelp[] =
    "udeflow " UDEFLOW_VERSION " - universal differential equations with exact, checkpointed adjoints\n\n"
    "Usage: mpiexec -n <ranks> udeflow <command> -options_file cases/<case>.yaml [options]\n\n"
    "Commands:\n"
    "  generate   integrate the truth model and write the training/test dataset (HDF5 + XDMF)\n"
    "  train      fit the closure parameters through the solver (Adam or TAO)\n"
    "  evaluate   run the trained model on held-out data, print error figures\n"
    "  bsde       train a deep BSDE solver for a high-dimensional semilinear PDE\n"
    "  discover   ODE cases: recover the learned terms as equations (sparse regression)\n\n"
    "Add -help after a command and case file to list every option it reads.\n";

namespace {

struct Command {
  const char* name;
  PetscErrorCode (*run)();
};

const Command kCommands[] = {
    {"generate", udeflow::app::CommandGenerate},
    {"train", udeflow::app::CommandTrain},
    {"evaluate", udeflow::app::CommandEvaluate},
    {"bsde", udeflow::app::CommandBsde},
    {"discover", udeflow::app::CommandDiscover},
};

PetscErrorCode Run(const std::string& command) {
  PetscFunctionBeginUser;
  PetscBool help = PETSC_FALSE;
  PetscCall(PetscOptionsHasHelp(nullptr, &help));
  if (command.empty() || command[0] == '-') {
    if (!help) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s", kHelp));
    PetscCheck(help, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT,
               "no command given (choices: generate, train, evaluate, bsde, discover)");
    PetscFunctionReturn(0);
  }
  for (const Command& c : kCommands) {
    if (command == c.name) {
      PetscCall(c.run());
      PetscFunctionReturn(0);
    }
  }
  SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "unknown command '%s' (choices: generate, train, evaluate, bsde, discover)",
          command.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  // The command is the first argument; take it out so PETSc sees only options.
  std::string command;
  if (argc > 1 && argv[1][0] != '-') {
    command = argv[1];
    for (int i = 1; i < argc - 1; ++i) argv[i] = argv[i + 1];
    argv[--argc] = nullptr;
  }
  PetscErrorCode ierr = udeflow::SessionInitialize(&argc, &argv, kHelp);
  if (!ierr) ierr = Run(command);
  return udeflow::SessionFinalize(ierr);
}
