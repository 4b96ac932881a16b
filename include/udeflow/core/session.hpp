#pragma once
/// \file session.hpp
/// Program start-up and shut-down: MPI, PETSc, the case file and the error report.
#include <petscsys.h>

#include <string>

namespace udeflow {

/// What every udeflow process does before PetscInitialize for bit-reproducible results:
/// pins numerical libraries to one thread (PinLibraryThreads) and gives PETSc an
/// allocator with 64-byte alignment (core/aligned.hpp).  Called by SessionInitialize;
/// test drivers that call PetscInitialize themselves call it first.  Not collective.
void SessionPrepare();

/// Initializes MPI and PETSc for a udeflow program.  Collective on MPI_COMM_WORLD.
///
/// `-options_file <file>` (PETSc format, or YAML when the name ends in .yaml/.yml)
/// is taken out of argv and read after PETSc is up, so that a missing or malformed
/// file is reported as one clear line; options given on the command line still
/// override the file.  Installs the udeflow error handler (see error.hpp) and
/// registers the log events (core/log.hpp).  Calls SessionPrepare() first and records
/// the run's provenance (core/provenance.hpp) once the options are in.
///
/// Always call SessionFinalize() afterwards, even when this returns an error.
PetscErrorCode SessionInitialize(int* argc, char*** argv, const char* help);

/// Reads a case file (`-options_file`: PETSc format, or YAML when the name ends in
/// .yaml/.yml) into the options database and records which options it sets (for
/// messages naming where an option came from).  A missing or malformed file is an error
/// naming it.  Called by SessionInitialize; collective on PETSC_COMM_WORLD.
PetscErrorCode SessionInsertOptionsFile(const std::string& file);

/// Records the options of a command line as set by "the command line" (for messages).
void SessionRecordCommandLine(int argc, char** argv);

/// Reports `ierr` (when non-zero) as one line on rank 0, finalizes PETSc and MPI,
/// and returns the process exit code (0 on success).
int SessionFinalize(PetscErrorCode ierr);

/// The text of the first error raised since start-up (empty if none).
const char* SessionFirstErrorMessage();

/// Forgets a recorded error that the caller has handled (e.g. a diverging model in
/// an evaluation, reported as such), so that a later error is the one reported.
void SessionClearError();

}  // namespace udeflow
