#pragma once
/// \file options_check.hpp
/// Options nobody reads (misspellings), -options_strict, and error messages that say
/// where an option came from.  See docs/options.md.
#include <petscsys.h>

#include <string>
#include <vector>

namespace udeflow {

/// The source recorded for options given on the command line.
inline constexpr const char* kCommandLine = "the command line";

/// The value a case file gave option `name` (even when the command line overrides it).
bool OptionsFileValue(const std::string& name, std::string* value);

/// A udeflow command: its name and the function that runs it.
struct OptionsCommand {
  const char* name;
  PetscErrorCode (*run)();
};

/// An option that no command read, where it came from, the closest option name that is
/// read, and the sentence that says so.
struct UnusedOption {
  std::string name, source, suggestion, text;
  bool refused = true;  ///< false: read by other commands only (-options_strict notes it)
};

/// Runs `run` as a dry pass: in -help mode with all output suppressed, so that it reads
/// every option it reads without doing any work.  With `quiet`, errors are ignored (the
/// run of another command, which may not apply to the case); otherwise returned.
/// Collective on PETSC_COMM_WORLD.
PetscErrorCode OptionsDryPass(PetscErrorCode (*run)(), bool quiet);

/// The options that `command` did not read: options of the command line, and options of
/// a case file that no command in `all` reads (a case file serves every command; the
/// other commands are dry-passed to find out).  Collective on PETSC_COMM_WORLD.
PetscErrorCode OptionsFindUnused(const std::string& command, const std::vector<OptionsCommand>& all,
                                 std::vector<UnusedOption>* unused);

/// Removes the options of PETSc objects (ts_, tao_, snes_, ksp_, pc_, after any prefix
/// such as truth_): a dry pass does not create every object (a TAO solver only when
/// training starts), so before a command these are left to the report after it.
void OptionsDropPetscObjectOptions(std::vector<UnusedOption>* unused);

/// True when -options_strict is given (or UDEFLOW_OPTIONS_STRICT=1 in the environment).
PetscErrorCode OptionsStrict(bool* strict);

/// One "udeflow: warning:" line per option, on rank 0 (stderr).
PetscErrorCode OptionsReportUnused(const std::vector<UnusedOption>& unused);

/// The error message `message` with the option it names explained: PETSc's parse
/// errors ("Input string abc has no integer value") say which option, and a message
/// that names an option says where that option was set (case file or command line).
std::string OptionsExplainError(const std::string& message);

}  // namespace udeflow
