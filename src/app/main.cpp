// udeflow: universal differential equations at HPC scale.
#include <petscsys.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "help.hpp"
#include "udeflow/config.hpp"
#include "udeflow/core/options_check.hpp"
#include "udeflow/core/provenance.hpp"
#include "udeflow/core/session.hpp"
#include "udeflow/core/signals.hpp"

static const char kHelp[] =
    "udeflow " UDEFLOW_VERSION
    " - universal differential equations with exact, checkpointed adjoints\n\n"
    "Usage: mpiexec -n <ranks> udeflow <command> -options_file cases/<case>.yaml [options]\n\n"
    "Commands:\n"
    "  generate   integrate the truth model and write the training/test dataset (HDF5 + XDMF)\n"
    "  train      fit the closure parameters through the solver (Adam or TAO)\n"
    "  evaluate   run the trained model on held-out data, print error figures\n"
    "  bsde       train a deep BSDE solver for a high-dimensional semilinear PDE\n"
    "  diagnose   advection case: downwind blow-up rate vs von Neumann, backward-in-time reversal\n"
    "             errors (advection, Burgers) vs the checkpointed adjoint (-diagnose_kind "
    "all|downwind|reversal)\n"
    "  discover   ODE cases: recover the learned terms as equations (sparse regression)\n\n"
    "`udeflow <command> -options_file <case> -help` lists the options the command reads "
    "(udeflow's;\n"
    "-help petsc: PETSc's, -help all: both) and runs nothing; --version prints the version.\n";

namespace {

struct Command {
  const char* name;
  PetscErrorCode (*run)();
};

const Command kCommands[] = {
    {"generate", udeflow::app::CommandGenerate}, {"train", udeflow::app::CommandTrain},
    {"evaluate", udeflow::app::CommandEvaluate}, {"bsde", udeflow::app::CommandBsde},
    {"diagnose", udeflow::app::CommandDiagnose}, {"discover", udeflow::app::CommandDiscover},
};

// Unused options (misspellings): refused before any work with -options_strict (a dry
// pass of the command reads all its options), reported after the command otherwise.
PetscErrorCode CheckOptions(const Command& command, bool before) {
  PetscFunctionBeginUser;
  bool strict = false;
  PetscBool help = PETSC_FALSE;
  PetscCall(udeflow::OptionsStrict(&strict));
  PetscCall(PetscOptionsHasHelp(nullptr, &help));
  if (before && (!strict || help)) PetscFunctionReturn(0);
  if (before) PetscCall(udeflow::OptionsDryPass(command.run, false));
  std::vector<udeflow::OptionsCommand> all;
  for (const Command& c : kCommands) all.push_back({c.name, c.run});
  std::vector<udeflow::UnusedOption> unused;
  PetscCall(udeflow::OptionsFindUnused(command.name, all, &unused));
  if (before) udeflow::OptionsDropPetscObjectOptions(&unused);
  if (!before || unused.empty() || !unused[0].refused)
    PetscFunctionReturn(udeflow::OptionsReportUnused(unused));
  PetscCall(udeflow::OptionsReportUnused({unused.begin() + 1, unused.end()}));
  SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-options_strict: %s%s", unused[0].text.c_str(),
          unused.size() > 1 ? " (more above)" : "");
}

PetscErrorCode Run(const std::string& command) {
  PetscFunctionBeginUser;
  PetscBool help = PETSC_FALSE;
  PetscCall(PetscOptionsHasHelp(nullptr, &help));
  if (command == "help") PetscFunctionReturn(PetscPrintf(PETSC_COMM_WORLD, "%s", kHelp));
  if (command.empty() || command[0] == '-') {
    if (!help) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s", kHelp));
    PetscCheck(help, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT,
               "no command given (choices: generate, train, evaluate, bsde, diagnose, discover)");
    PetscFunctionReturn(0);
  }
  for (const Command& c : kCommands) {
    if (command == c.name) {
      if (!help)
        PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s: %s\n", c.name,
                              udeflow::ProvenanceSummary().c_str()));
      PetscCall(CheckOptions(c, true));
      PetscCall(c.run());
      PetscCall(CheckOptions(c, false));
      PetscFunctionReturn(0);
    }
  }
  SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT,
          "unknown command '%s' (choices: generate, train, evaluate, bsde, diagnose, discover)",
          command.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 &&
      (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "-version") == 0)) {
    std::printf("%s", udeflow::VersionText().c_str());
    std::printf("ParaView Catalyst: %s\n",
                UDEFLOW_HAVE_CATALYST ? "yes" : "no (built without ParaView Catalyst)");
    return 0;
  }
  udeflow::ProvenanceRecordCommandLine(argc, argv);
  // The command is the first argument; take it out so PETSc sees only options.
  std::string command;
  if (argc > 1 && argv[1][0] != '-') {
    command = argv[1];
    for (int i = 1; i < argc - 1; ++i) argv[i] = argv[i + 1];
    argv[--argc] = nullptr;
  }
  udeflow::app::HelpPrepare(&argc, argv, &command);  // help, --help, -help [petsc|all]
  // Training commands stop gracefully on SIGTERM/SIGUSR1 from the very start (a
  // scheduler's signal may come while MPI starts up): armed before MPI/PETSc.
  std::unique_ptr<udeflow::StopSignalGuard> stop_guard;
  if (command == "train" || command == "bsde")
    stop_guard = std::make_unique<udeflow::StopSignalGuard>();
  PetscErrorCode ierr = udeflow::SessionInitialize(&argc, &argv, kHelp);
  if (!ierr) ierr = Run(command);
  if (!ierr) ierr = udeflow::app::HelpFinish(command);
  return udeflow::SessionFinalize(ierr);
}
