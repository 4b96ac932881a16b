#pragma once
// `udeflow <command> -help`: udeflow's own options, grouped by object, with the value in
// effect, the default and a one-line description; PETSc's only with -help petsc|all.
// `udeflow help`, `udeflow --help` and `udeflow -help` list the commands (exit 0);
// `udeflow help <command>` is `udeflow <command> -help`.
#include <petscsys.h>

#include <string>

namespace udeflow::app {

/// Before SessionInitialize: maps help/--help/-h to the command "help" (and help <command>
/// to <command> -help), reads the -help level and captures PETSc's help printing so that
/// HelpFinish() can filter it.  `argv` must have argc + 1 slots; not collective.
void HelpPrepare(int* argc, char** argv, std::string* command);

/// After the command returned in -help mode: prints the listing on rank 0.  Collective.
PetscErrorCode HelpFinish(const std::string& command);

}  // namespace udeflow::app
