#pragma once
/// \file error.hpp
/// The error policy of udeflow, applied everywhere:
///
/// - PETSc-facing code returns PetscErrorCode and uses PetscCall/PetscCheck.
/// - Mistakes in user input (options, case files, datasets) are raised with
///   PETSC_ERR_USER_INPUT (options and values) or PETSC_ERR_FILE_OPEN /
///   PETSC_ERR_FILE_UNEXPECTED (files); the message names the option or the file.
///   Such checks are collective: every rank of the communicator evaluates the same
///   condition, so every rank leaves the same way.
/// - Pure code (nn/, bsde kernels) throws udeflow::Error; the PETSc boundary converts
///   it with PetscCallCXX.
/// - The program (core/session.hpp) prints the first error message as one line,
///   "udeflow: error: <message>", and exits non-zero.  `-udeflow_traceback` restores
///   PETSc's full traceback for debugging.
#include <petscsys.h>

#include <stdexcept>
#include <string>

namespace udeflow {

/// Exception thrown by pure (PETSc-free) code for invalid arguments.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws udeflow::Error with a message when the condition does not hold.  The
/// const char* overload allocates nothing unless it throws (hot loops call it).
inline void Require(bool condition, const char* message) {
  if (!condition) throw Error(message);
}
inline void Require(bool condition, const std::string& message) {
  if (!condition) throw Error(message);
}

}  // namespace udeflow
